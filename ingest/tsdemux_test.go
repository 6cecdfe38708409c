package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
)

// Sample media: 10 s, 300 H.264 frames and 470 AAC frames (testdata/make.sh).
const (
	sampleVideoFrames = 300
	sampleAudioFrames = 470
)

// checkFrames verifies decode order and timestamps of recorded frames.
func checkFrames(t *testing.T, frames []packager.Frame) {
	t.Helper()
	last := map[packager.Kind]time.Duration{}
	seen := map[packager.Kind]bool{}
	for i, f := range frames {
		if seen[f.Kind] && f.DTS <= last[f.Kind] {
			t.Fatalf("frame %d (%v): DTS %v not after %v", i, f.Kind, f.DTS, last[f.Kind])
		}
		// MP4 allows negative composition offsets, so PTS may precede DTS,
		// but never by much.
		if d := f.PTS - f.DTS; d < -time.Second || d > time.Second {
			t.Fatalf("frame %d (%v): PTS %v far from DTS %v", i, f.Kind, f.PTS, f.DTS)
		}
		if f.Received.IsZero() {
			t.Fatalf("frame %d has no receive time", i)
		}
		last[f.Kind], seen[f.Kind] = f.DTS, true
	}
	if len(frames) > 0 && (frames[0].Kind != packager.Video || !frames[0].Keyframe) {
		t.Errorf("first frame is not a video keyframe")
	}
}

func TestDemuxTSSample(t *testing.T) {
	data := readRepoFile(t, "sample.ts")
	s, fs, st := newTestSink(t, protoTS)
	if err := demuxTS(bytes.NewReader(data), s); err != nil {
		t.Fatal(err)
	}
	s.close()
	v, a := fs.count()
	if v != sampleVideoFrames {
		t.Errorf("%d video frames, want %d", v, sampleVideoFrames)
	}
	// Audio before the first video keyframe is not published.
	if a < sampleAudioFrames-3 || a > sampleAudioFrames {
		t.Errorf("%d audio frames, want about %d", a, sampleAudioFrames)
	}
	_, frames, _, _ := fs.snapshot()
	checkFrames(t, frames)
	if st.BadFrames.Load() != 0 {
		t.Errorf("%d bad frames", st.BadFrames.Load())
	}
	// One keyframe every 30 frames at 30 fps.
	var keys []time.Duration
	for _, f := range frames {
		if f.Kind == packager.Video && f.Keyframe {
			keys = append(keys, f.DTS)
		}
	}
	if len(keys) != 10 || keys[1]-keys[0] != time.Second {
		t.Errorf("keyframes at %v, want 10 one second apart", keys)
	}
}

// stripPIDs returns the packets of ts whose PID is not in pids.
func stripPIDs(ts []byte, pids ...uint16) []byte {
	var out []byte
	for i := 0; i+tsPacketSize <= len(ts); i += tsPacketSize {
		p := ts[i : i+tsPacketSize]
		pid := uint16(p[1]&0x1f)<<8 | uint16(p[2])
		drop := false
		for _, d := range pids {
			drop = drop || pid == d
		}
		if !drop {
			out = append(out, p...)
		}
	}
	return out
}

// repeatReader returns b over and over, up to n bytes, and counts what was
// read.
type repeatReader struct {
	b       []byte
	off     int
	n, read int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	c := copy(p, r.b[r.off:])
	r.off = (r.off + c) % len(r.b)
	r.read += int64(c)
	return c, nil
}

// ffmpegOutput encodes a short clip with the given codec arguments and
// returns the file's bytes.
func ffmpegOutput(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{
		"-f", "lavfi", "-i", "testsrc2=size=160x90:rate=30",
		"-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "0.5",
	}
	cmd := ffmpegCmd(ctx, t, append(append(base, args...), "-y", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDemuxTSBadInput(t *testing.T) {
	sample := readRepoFile(t, "sample.ts")
	noPSI := stripPIDs(sample, 0, 4096)
	cases := []struct {
		name  string
		input func(t *testing.T) io.Reader
		want  error
	}{
		{"empty", func(*testing.T) io.Reader { return bytes.NewReader(nil) }, ErrBadMedia},
		{"garbage", func(*testing.T) io.Reader {
			return bytes.NewReader(bytes.Repeat([]byte("not a transport stream "), 10000))
		}, ErrBadMedia},
		{"no PAT/PMT", func(*testing.T) io.Reader { return bytes.NewReader(noPSI) }, ErrBadMedia},
		{"no PAT/PMT, endless", func(*testing.T) io.Reader {
			return &repeatReader{b: noPSI, n: 1 << 30}
		}, ErrBadMedia},
		{"MPEG-2 video", func(t *testing.T) io.Reader {
			return bytes.NewReader(ffmpegOutput(t, "m2v.ts", "-c:v", "mpeg2video", "-c:a", "aac", "-f", "mpegts"))
		}, ErrUnsupportedCodec},
		{"MP3 audio", func(t *testing.T) io.Reader {
			return bytes.NewReader(ffmpegOutput(t, "mp3.ts", "-c:v", "libx264", "-c:a", "libmp3lame", "-f", "mpegts"))
		}, ErrUnsupportedCodec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, fs, _ := newTestSink(t, protoTS)
			r := c.input(t)
			err := demuxTS(r, s)
			t.Logf("error: %v", err)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if rr, ok := r.(*repeatReader); ok && rr.read > 2*maxTSInitBytes {
				t.Errorf("read %d bytes before giving up", rr.read)
			}
			if pubs, _, _, _ := fs.snapshot(); len(pubs) != 0 {
				t.Errorf("published %d sessions", len(pubs))
			}
		})
	}
}

func TestDemuxTSTruncatedAndCorrupt(t *testing.T) {
	sample := readRepoFile(t, "sample.ts")
	corrupt := bytes.Clone(sample)
	// Garbage in the middle: the guard resyncs and the demuxer drops what
	// it cannot parse.
	for i := len(corrupt) / 2; i < len(corrupt)/2+5000; i++ {
		corrupt[i] = byte(i * 7)
	}
	cases := []struct {
		name      string
		data      []byte
		minFrames int
	}{
		{"cut mid-packet", sample[:len(sample)/2+77], 300},
		{"garbage in the middle", corrupt, 600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, fs, _ := newTestSink(t, protoTS)
			if err := demuxTS(bytes.NewReader(c.data), s); err != nil {
				t.Fatal(err)
			}
			_, frames, _, _ := fs.snapshot()
			if len(frames) < c.minFrames {
				t.Errorf("%d frames, want at least %d", len(frames), c.minFrames)
			}
		})
	}
}

func TestTSGuardBoundsPES(t *testing.T) {
	var stream []byte
	pkt := func(start bool, pid uint16) []byte {
		p := make([]byte, tsPacketSize)
		p[0], p[1], p[2], p[3] = tsSyncByte, byte(pid>>8)&0x1f, byte(pid), 0x10
		if start {
			p[1] |= 0x40
		}
		return p
	}
	stream = append(stream, pkt(true, 0x100)...)
	for range 1000 {
		stream = append(stream, pkt(false, 0x100)...)
		stream = append(stream, pkt(false, tsNullPID)...) // padding is not PES
	}
	g := newTSGuard(io.MultiReader(bytes.NewReader(stream[:tsPacketSize]),
		&repeatReader{b: stream[tsPacketSize:], n: 64 << 20}))
	g.initDone()
	_, err := io.Copy(io.Discard, g)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}
