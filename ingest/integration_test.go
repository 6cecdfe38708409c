package ingest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/internal/tooltest"
)

// publishSeconds is how long each ffmpeg broadcaster runs.
const publishSeconds = 3

func rtmpURL(s *Server, stream, key string) string {
	return fmt.Sprintf("rtmp://%s/live/%s?key=%s", s.RTMPAddr(), stream, key)
}

func pushURL(s *Server, stream, key string) string {
	return fmt.Sprintf("http://%s/ingest/%s?key=%s", s.Addr(), stream, key)
}

// TestPublishFFmpeg runs ffmpeg as the broadcaster over each protocol and
// checks that what lands in the window plays.
func TestPublishFFmpeg(t *testing.T) {
	tooltest.Need(t, "ffmpeg")
	cases := []struct {
		name   string
		output func(s *Server) []string
	}{
		{"rtmp", func(s *Server) []string { return []string{"-f", "flv", rtmpURL(s, "cam", "k")} }},
		{"http mpegts", func(s *Server) []string {
			return []string{"-f", "mpegts", "-method", "PUT", pushURL(s, "cam", "k")}
		}},
		{"http fmp4", func(s *Server) []string {
			return append(append([]string{}, fragArgs...), "-method", "PUT", pushURL(s, "cam", "k"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, log := startServer(t, testConfig())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := ffmpegCmd(ctx, t, append(lavfiInput(publishSeconds), c.output(s)...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, out)
			}
			waitFor(t, 5*time.Second, "publisher to leave", func() bool {
				return s.Stats().PublishersActive.Load() == 0
			})
			st := s.Streams().Get("cam")
			if st == nil {
				t.Fatal("no window for the stream")
			}
			checkWindow(t, st, 30*publishSeconds, publishSeconds*48000/1024)
			if !strings.Contains(log.String(), `"publisher left"`) {
				t.Error("no log line for the publisher leaving")
			}
			if n := s.Stats().Rejections[len(errorClasses)-1].Load(); n != 0 {
				t.Errorf("%d unclassified rejections", n)
			}
		})
	}
}

// TestHTTPEndpoints checks health, metrics and the delivery hand-off.
func TestHTTPEndpoints(t *testing.T) {
	cfg := testConfig()
	cfg.Delivery = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("delivery " + string(ctx.Path())) }
	s, _ := startServer(t, cfg)
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, "ok"},
		{"/metrics", 200, "livetree_ingest_rejections_total{reason=\"bad_key\"} 0"},
		{"/live/cam/index.m3u8", 200, "delivery /live/cam/index.m3u8"},
		{"/time", 200, "delivery /time"},
		{"/feed/cam", 200, "delivery /feed/cam"},
		{"/ingest/cam", 405, "method not allowed"},
	}
	bare, _ := startServer(t, testConfig())
	if resp, err := http.Get("http://" + bare.Addr() + "/live/cam/index.m3u8"); err != nil || resp.StatusCode != 404 {
		t.Errorf("without delivery, GET /live/... = %v %v, want 404", resp, err)
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			resp, err := http.Get("http://" + s.Addr() + c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.body) {
				t.Errorf("GET %s = %d %q, want %d containing %q", c.path, resp.StatusCode, b, c.status, c.body)
			}
		})
	}
}

// TestOBSStyleURL publishes the way OBS is configured: server
// rtmp://host/live, stream key "{stream}?key={key}".
func TestOBSStyleURL(t *testing.T) {
	cfg := testConfig()
	cfg.Keys, _ = ParseKeys(strings.NewReader("obs " + goodKey + "\n"))
	s, log := startServer(t, cfg)
	frames, sps, pps, asc := sampleFrames(t)
	if err := publishFrames(s.RTMPAddr(), "obs?key="+goodKey, frames[:200], sps, pps, asc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "frames", func() bool { return s.Stats().FramesIn[protoRTMP].Load() > 0 })
	if !strings.Contains(log.String(), `"stream":"obs","key_present":true`) {
		t.Error("no log line for stream obs")
	}
}
