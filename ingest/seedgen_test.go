package ingest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/fuzzseed"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// maxSeed bounds a seed file, so the corpora stay small.
const maxSeed = 12 << 10

// writeSeed writes one corpus file, its byte slices clipped to maxSeed.
func writeSeed(t *testing.T, target, name string, args ...any) {
	fuzzseed.Write(t, target, name, fuzzseed.Clip(maxSeed, args...)...)
}

// recordingProxy forwards TCP connections to target and keeps what clients
// send.
type recordingProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex // guards sent
	sent   []byte
	wg     sync.WaitGroup
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		up, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(c, up) }()
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			p.mu.Lock()
			p.sent = append(p.sent, buf[:n]...)
			p.mu.Unlock()
			if _, werr := up.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	}()
	return p
}

func (p *recordingProxy) bytes() []byte {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

// recordRTMP records what ffmpeg sends when it publishes with the given
// encoder arguments.
func recordRTMP(t *testing.T, s *Server, stream string, enc ...string) []byte {
	p := newRecordingProxy(t, s.RTMPAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Past gortmplib's two seconds of track analysis, in few bytes.
	args := []string{"-f", "lavfi", "-i", "testsrc2=size=32x18:rate=5", "-f", "lavfi", "-i", "sine=sample_rate=8000", "-t", "3"}
	args = append(append(args, enc...), "-f", "flv", fmt.Sprintf("rtmp://%s/live/%s?key=k", p.ln.Addr(), stream))
	_ = ffmpegCmd(ctx, t, args...).Run() // refused publishes fail; their bytes are seeds too
	return p.bytes()
}

// TestGenerateFuzzSeeds rewrites testdata/fuzz from the samples and from
// ffmpeg. Run it with: go test -run TestGenerateFuzzSeeds -genseeds
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("run with -genseeds to rewrite the seed corpora")
	}
	small := []string{"-c:v", "libx264", "-tune", "zerolatency", "-g", "5", "-b:v", "10k", "-c:a", "aac", "-b:a", "8k"}
	ts := readRepoFile(t, "sample.ts")
	tinyTS := ffmpegOutput(t, "tiny.ts", append([]string{"-s", "64x36", "-r", "10"}, append(small, "-f", "mpegts")...)...)
	writeSeed(t, "FuzzTSPush", "sample-head", ts[:188*64])
	writeSeed(t, "FuzzTSPush", "ffmpeg-tiny", tinyTS)
	writeSeed(t, "FuzzTSPush", "garbage-then-sync", append([]byte("garbage before sync"), ts[:188*30]...))
	writeSeed(t, "FuzzTSPush", "ffmpeg-mp3", ffmpegOutput(t, "mp3.ts", "-s", "64x36", "-r", "10", "-c:v", "libx264", "-c:a", "libmp3lame", "-f", "mpegts"))

	cmaf := readRepoFile(t, "sample.cmaf.mp4")
	tinyMP4 := ffmpegOutput(t, "tiny.mp4", append([]string{"-s", "64x36", "-r", "10"}, append(small, fragArgs...)...)...)
	writeSeed(t, "FuzzFMP4Push", "ffmpeg-tiny-frag", tinyMP4)
	writeSeed(t, "FuzzFMP4Push", "sample-head", cmaf[:maxSeed])
	writeSeed(t, "FuzzFMP4Push", "ffmpeg-mp3", ffmpegOutput(t, "mp3.mp4", append([]string{"-s", "64x36", "-r", "10", "-c:v", "libx264", "-c:a", "libmp3lame"}, fragArgs...)...))

	s, _ := startServer(t, testConfig())
	writeSeed(t, "FuzzRTMP", "ffmpeg-publish", recordRTMP(t, s, "seed", small...))
	writeSeed(t, "FuzzRTMP", "ffmpeg-mp3", recordRTMP(t, s, "seed", "-c:v", "libx264", "-tune", "zerolatency", "-c:a", "libmp3lame"))
	writeSeed(t, "FuzzRTMP", "ffmpeg-bad-name", recordRTMP(t, s, "a.b", small...))

	writeSeed(t, "FuzzStreamName", "ffmpeg-url", "cam1", "s3cret")
	writeSeed(t, "FuzzStreamName", "obs-key", "cam_2-b", "k?x=1&key=2")
	writeSeed(t, "FuzzStreamName", "traversal", "../../etc/passwd", "")
}
