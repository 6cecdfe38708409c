package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	rtmpcodecs "github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
)

const (
	goodKey  = "goodkey-7f3a"
	wrongKey = "wrongkey-91c2"
)

// rawPush sends a push request with a Content-Length body over a plain
// connection, writing the body while it reads the response, and returns the
// response's status and body.
func rawPush(t *testing.T, addr, target string, body []byte) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	go func() {
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: ingest\r\nContent-Length: %d\r\n\r\n", target, len(body))
		_, _ = c.Write(body) // the server may refuse before reading it all
	}()
	return readResponse(t, c)
}

func readResponse(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rtmpPublish connects with gortmplib's client and asks to publish the
// given publish name (stream and query) to the live app.
func rtmpPublish(ctx context.Context, addr, publishName string) (*gortmplib.Client, error) {
	c := &gortmplib.Client{
		URL:     &url.URL{Scheme: "rtmp", Host: addr, Path: "/live", Fragment: publishName},
		Publish: true,
	}
	return c, c.Initialize(ctx)
}

// sampleH264Config returns the SPS and PPS of the sample media.
func sampleH264Config(t *testing.T) (sps, pps []byte) {
	s, _, _ := newTestSink(t, protoFMP4)
	sample := readRepoFile(t, "sample.cmaf.mp4")
	initLen := binary.BigEndian.Uint32(sample) + binary.BigEndian.Uint32(sample[binary.BigEndian.Uint32(sample):])
	if err := demuxFMP4(bytes.NewReader(sample[:initLen]), s, maxBoxBytes); err != nil {
		t.Fatal(err)
	}
	return s.next.Video.SPS, s.next.Video.PPS
}

// TestBadPublishers throws bad publishers of every kind at a server while a
// good one streams, and checks each gets a clear error, on the wire where
// the protocol allows and in the log, while the good one is unaffected.
func TestBadPublishers(t *testing.T) {
	flv := repoFile(t, "sample.flv")
	keysFile := filepath.Join(t.TempDir(), "keys")
	var keys strings.Builder
	for _, name := range []string{"good", "bad", "bad2"} {
		fmt.Fprintf(&keys, "%s %s\n", name, goodKey)
	}
	if err := os.WriteFile(keysFile, []byte(keys.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.KeysFile = keysFile
	cfg.ReadTimeout = 2 * time.Second
	s, log := startServer(t, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	good := ffmpegCmd(ctx, t, "-re", "-stream_loop", "-1", "-i", flv, "-c", "copy", "-f", "flv", rtmpURL(s, "good", goodKey))
	var goodErr bytes.Buffer
	good.Stderr = &goodErr
	if err := good.Start(); err != nil {
		t.Fatal(err)
	}
	goodDone := make(chan struct{})
	go func() { _ = good.Wait(); close(goodDone) }()
	waitFor(t, 10*time.Second, "the good publisher's first frames", func() bool {
		return s.Stats().FramesIn[protoRTMP].Load() > 0
	})
	framesBefore := s.Stats().FramesIn[protoRTMP].Load()

	sps, pps := sampleH264Config(t)
	sample := readRepoFile(t, "sample.ts")
	noPSI := stripPIDs(sample, 0, 4096)[:1<<20+4096]
	cmaf := readRepoFile(t, "sample.cmaf.mp4")
	ftypLen := binary.BigEndian.Uint32(cmaf)
	hugeBox := append(bytes.Clone(cmaf[:ftypLen]), boxHeader(1<<30, "moov")...)
	hugeBox = append(hugeBox, make([]byte, 4096)...)

	type outcome struct {
		reason string // metrics label expected to grow by one
		wire   string // expected in the protocol's error, "" if none
		status int    // HTTP status, 0 for RTMP
	}
	cases := []struct {
		name string
		want outcome
		run  func(t *testing.T) (status int, wire string)
	}{
		{"rtmp garbage handshake", outcome{"bad_media", "", 0}, func(t *testing.T) (int, string) {
			c, err := net.Dial("tcp", s.RTMPAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = c.Write(bytes.Repeat([]byte{0xab}, 1537))
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, c); isTimeout(err) {
				t.Errorf("server did not close the connection: %v", err)
			}
			return 0, ""
		}},
		{"rtmp stalls in the handshake", outcome{"timeout", "", 0}, func(t *testing.T) (int, string) {
			c, err := net.Dial("tcp", s.RTMPAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = c.Write([]byte{3})
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, c)
			return 0, ""
		}},
		{"rtmp wrong key", outcome{"bad_key", "bad stream key", 0}, func(t *testing.T) (int, string) {
			return 0, ffmpegFails(t, "-re", "-i", flv, "-t", "1", "-c", "copy", "-f", "flv", rtmpURL(s, "bad", wrongKey))
		}},
		{"rtmp second publisher", outcome{"busy", "stream already publishing", 0}, func(t *testing.T) (int, string) {
			return 0, ffmpegFails(t, "-re", "-i", flv, "-t", "1", "-c", "copy", "-f", "flv", rtmpURL(s, "good", goodKey))
		}},
		{"rtmp MP3 audio", outcome{"unsupported_codec", "unsupported codec", 0}, func(t *testing.T) (int, string) {
			return 0, ffmpegFails(t, append(lavfiSource(2), "-c:v", "libx264", "-tune", "zerolatency", "-g", "30", "-c:a", "libmp3lame",
				"-f", "flv", rtmpURL(s, "bad", goodKey))...)
		}},
		{"rtmp name with ../", outcome{"bad_name", "bad stream name", 0}, func(t *testing.T) (int, string) {
			return 0, rtmpRefused(t, s, "../good?key="+goodKey)
		}},
		{"rtmp name with NUL", outcome{"bad_name", "bad stream name", 0}, func(t *testing.T) (int, string) {
			return 0, rtmpRefused(t, s, "go\x00od?key="+goodKey)
		}},
		{"rtmp 300-byte name", outcome{"bad_name", "bad stream name", 0}, func(t *testing.T) (int, string) {
			return 0, rtmpRefused(t, s, strings.Repeat("n", 300)+"?key="+goodKey)
		}},
		{"rtmp corrupt AVC packet", outcome{"bad_media", "", 0}, func(t *testing.T) (int, string) {
			c, err := rtmpPublish(context.Background(), s.RTMPAddr(), "bad?key="+goodKey)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			track := &gortmplib.Track{Codec: &rtmpcodecs.H264{SPS: sps, PPS: pps}}
			w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{track}}
			if err := w.Initialize(); err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				au := []byte{0, 0, 0, 9, 0x65, 1} // length runs past the end
				if i > 0 {
					au = []byte{0, 0, 0, 2, 0x41, 1}
				}
				d := time.Duration(i) * 33 * time.Millisecond
				if err := c.Write(&message.Video{
					ChunkStreamID: message.VideoChunkStreamID, MessageStreamID: 0x1000000,
					Codec: message.CodecH264, IsKeyFrame: i == 0, Type: message.VideoTypeAU, AU: au, DTS: d,
				}); err != nil {
					break
				}
			}
			_ = c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, c.NetConn())
			return 0, ""
		}},
		{"rtmp truncated FLV tag", outcome{"bad_media", "", 0}, func(t *testing.T) (int, string) {
			c, err := rtmpPublish(context.Background(), s.RTMPAddr(), "bad?key="+goodKey)
			if err != nil {
				t.Fatal(err)
			}
			// A type-0 chunk header on the video chunk stream announcing a
			// 1000-byte video message, then only 100 bytes of it.
			hdr := []byte{message.VideoChunkStreamID, 0, 0, 0, 0, 0x03, 0xe8, 9, 1, 0, 0, 0}
			_, _ = c.NetConn().Write(append(hdr, make([]byte, 100)...))
			c.Close()
			return 0, ""
		}},
		{"http wrong key", outcome{"bad_key", "bad stream key", 403}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad?key="+wrongKey, sample[:188*10])
		}},
		{"http no key", outcome{"bad_key", "bad stream key", 403}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad", sample[:188*10])
		}},
		{"http name with ../", outcome{"bad_name", "bad stream name", 400}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/../good?key="+goodKey, sample[:188*10])
		}},
		{"http name with NUL", outcome{"bad_name", "bad stream name", 400}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/go%00od?key="+goodKey, sample[:188*10])
		}},
		{"http 300-byte name", outcome{"bad_name", "bad stream name", 400}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/"+strings.Repeat("n", 300)+"?key="+goodKey, sample[:188*10])
		}},
		{"http second publisher", outcome{"busy", "stream already publishing", 409}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/good?key="+goodKey, sample[:188*10])
		}},
		{"http MPEG-TS without PAT/PMT", outcome{"bad_media", "PAT/PMT", 400}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad?key="+goodKey, noPSI)
		}},
		{"http MPEG-2 video", outcome{"unsupported_codec", "MPEG-1/2 video", 415}, func(t *testing.T) (int, string) {
			m2v := ffmpegOutput(t, "m2v.ts", "-c:v", "mpeg2video", "-c:a", "aac", "-f", "mpegts")
			return rawPush(t, s.Addr(), "/ingest/bad?key="+goodKey, m2v)
		}},
		{"http first box claims 1 GiB", outcome{"too_large", "claims 1073741824 bytes", 413}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad?key="+goodKey, hugeBox)
		}},
		{"http truncated fMP4", outcome{"bad_media", "stream ends inside", 400}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad?key="+goodKey, cmaf[:100000])
		}},
		{"http neither TS nor MP4", outcome{"unsupported_format", "neither MPEG-TS nor fragmented MP4", 415}, func(t *testing.T) (int, string) {
			return rawPush(t, s.Addr(), "/ingest/bad?key="+goodKey, []byte("hello, this is not video"))
		}},
		{"http publisher stalls", outcome{"timeout", "publisher stalled", 408}, func(t *testing.T) (int, string) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c, "PUT /ingest/bad2?key=%s HTTP/1.1\r\nHost: ingest\r\nTransfer-Encoding: chunked\r\n\r\n", goodKey)
			fmt.Fprintf(c, "%x\r\n%s\r\n", 188*20, sample[:188*20])
			return readResponse(t, c)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idx := -1
			for i, r := range errorClasses {
				if r.reason == c.want.reason {
					idx = i
				}
			}
			before := s.Stats().Rejections[idx].Load()
			status, wire := c.run(t)
			if status != c.want.status {
				t.Errorf("status %d, want %d (body %q)", status, c.want.status, wire)
			}
			if !strings.Contains(wire, c.want.wire) {
				t.Errorf("error on the wire %q, want it to contain %q", wire, c.want.wire)
			}
			waitFor(t, 5*time.Second, "rejection "+c.want.reason, func() bool {
				return s.Stats().Rejections[idx].Load() > before
			})
			// The counter moves before the line is written.
			waitFor(t, 5*time.Second, "a log line with reason "+c.want.reason, func() bool {
				return strings.Contains(log.String(), `"reason":"`+c.want.reason+`"`)
			})
		})
	}

	select {
	case <-goodDone:
		t.Fatalf("the good publisher stopped: %s", goodErr.String())
	default:
	}
	waitFor(t, 5*time.Second, "the good publisher to go on", func() bool {
		return s.Stats().FramesIn[protoRTMP].Load() > framesBefore+100
	})
	if st := s.Streams().Get("good"); st == nil || len(st.Tracks()) != 2 {
		t.Error("the good stream's window is missing")
	}
	for _, secret := range []string{goodKey, wrongKey} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("a stream key appears in the log")
		}
	}
}

// ffmpegFails runs ffmpeg, expects it to fail, and returns its stderr.
func ffmpegFails(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := ffmpegCmd(ctx, t, args...).CombinedOutput()
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("ffmpeg did not fail (%v):\n%s", err, out)
	}
	return string(out)
}

// rtmpRefused asks to publish publishName and returns the server's refusal.
func rtmpRefused(t *testing.T, s *Server, publishName string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rtmpPublish(ctx, s.RTMPAddr(), publishName)
	if err == nil {
		c.Close()
		t.Fatal("publish accepted")
	}
	return err.Error()
}
