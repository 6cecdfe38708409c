package ingest

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager"
)

// repoFile returns the path of a file in the repository's testdata folder,
// skipping the test (failing under CI=true) when it is missing.
func repoFile(t testing.TB, name string) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(self), "..", "testdata", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v", p, err)
		}
		t.Skipf("%s: %v", p, err)
	}
	return p
}

// readRepoFile reads a file of the repository's testdata folder.
func readRepoFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testLogger returns a logger that writes into the test's log, and a buffer
// holding everything it wrote.
func testLogger(t testing.TB) (zerolog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return zerolog.New(io.MultiWriter(buf, zerolog.NewTestWriter(t))).Level(zerolog.DebugLevel), buf
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeStream records what a sink publishes.
type fakeStream struct {
	mu        sync.Mutex // guards everything below
	publishes []packager.Tracks
	frames    []packager.Frame
	closes    int
	ended     bool
	// writeErr, if set, decides WriteFrame's result.
	writeErr func(packager.Frame) error
}

func (f *fakeStream) Publish(t packager.Tracks) (mediaSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Video == nil && t.Audio == nil {
		return nil, packager.ErrBadConfig
	}
	f.publishes = append(f.publishes, t)
	return &fakeSession{f: f}, nil
}

func (f *fakeStream) End() {
	f.mu.Lock()
	f.ended = true
	f.mu.Unlock()
}

func (f *fakeStream) snapshot() (pubs []packager.Tracks, frames []packager.Frame, closes int, ended bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]packager.Tracks(nil), f.publishes...), append([]packager.Frame(nil), f.frames...), f.closes, f.ended
}

// count returns the frames of each kind recorded.
func (f *fakeStream) count() (video, audio int) {
	_, frames, _, _ := f.snapshot()
	for _, fr := range frames {
		if fr.Kind == packager.Video {
			video++
		} else {
			audio++
		}
	}
	return video, audio
}

type fakeSession struct {
	f      *fakeStream
	closed bool
}

func (s *fakeSession) WriteFrame(fr packager.Frame) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.closed {
		return packager.ErrClosed
	}
	if s.f.writeErr != nil {
		if err := s.f.writeErr(fr); err != nil {
			return err
		}
	}
	// The sink may reuse the frame's memory, as the packager allows.
	cp := fr
	cp.NALUs = nil
	for _, n := range fr.NALUs {
		cp.NALUs = append(cp.NALUs, bytes.Clone(n))
	}
	cp.Data = bytes.Clone(fr.Data)
	s.f.frames = append(s.f.frames, cp)
	return nil
}

func (s *fakeSession) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.f.closes++
	}
}

// newTestSink returns a sink writing to a fresh fakeStream.
func newTestSink(t testing.TB, p proto) (*sink, *fakeStream, *Stats) {
	fs := &fakeStream{}
	st := &Stats{}
	log := zerolog.Nop()
	if t != nil {
		log, _ = testLogger(t)
	}
	return newSink(fs, p, st, log), fs, st
}

// testConfig returns a configuration for a server on loopback ports chosen
// by the kernel, with short timeouts.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.RTMPAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.ReadTimeout = 3 * time.Second
	cfg.Linger = 2 * time.Second
	return cfg
}

// startServer runs a server until the test ends and returns it once it
// listens. The returned buffer holds its log.
func startServer(t *testing.T, cfg Config) (*Server, *syncBuffer) {
	t.Helper()
	log, buf := testLogger(t)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("server not ready")
	}
	if s.Addr() == "" {
		t.Fatal("server failed to listen")
	}
	return s, buf
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ffmpegCmd returns an ffmpeg command with quiet, non-interactive defaults.
func ffmpegCmd(ctx context.Context, t testing.TB, args ...string) *exec.Cmd {
	bin := tooltest.Need(t, "ffmpeg")
	cmd := exec.CommandContext(ctx, bin, append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// lavfiSource returns ffmpeg input arguments for a real-time test pattern
// and tone of the given length.
func lavfiSource(seconds float64) []string {
	return []string{
		"-re",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.FormatFloat(seconds, 'f', -1, 64),
	}
}

// lavfiInput is lavfiSource encoded as H.264 (a keyframe every 30 frames)
// and AAC.
func lavfiInput(seconds float64) []string {
	return append(lavfiSource(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k")
}
