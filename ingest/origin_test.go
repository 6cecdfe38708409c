package ingest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/internal/tooltest"
)

// TestOriginPlaysWhilePublishing runs the whole origin as bin/ingest wires
// it: ffmpeg publishes over RTMP while ffmpeg plays the same stream back
// through LL-HLS and LL-DASH from the server's RAM.
func TestOriginPlaysWhilePublishing(t *testing.T) {
	tooltest.Need(t, "ffmpeg")
	srv := startOrigin(t, testConfig())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub := ffmpegCmd(ctx, t, append(lavfiInput(20), "-f", "flv", rtmpURL(srv.Server, "live1", "k"))...)
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = pub.Wait() }()
	base := fmt.Sprintf("http://%s/live/live1/", srv.Addr())
	waitFor(t, 15*time.Second, "the first segments", func() bool {
		resp, err := http.Get(base + "video.m3u8?_HLS_msn=2")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, manifest := range []string{"index.m3u8", "manifest.mpd"} {
		t.Run(manifest, func(t *testing.T) {
			play := ffmpegCmd(ctx, t, "-i", base+manifest, "-t", "5", "-f", "null", "-")
			if out, err := play.CombinedOutput(); err != nil || len(out) > 0 {
				t.Fatalf("playing %s: %v\n%s", manifest, err, out)
			}
		})
	}
}

// startOrigin runs an origin, as bin/ingest builds it, until the test ends.
func startOrigin(t *testing.T, cfg Config) *Origin {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := NewOrigin(ctx, cfg, cdn.Access{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-srv.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("origin not ready")
	}
	return srv
}
