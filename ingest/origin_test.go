package ingest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/packager/window"
)

// TestOriginPlaysWhilePublishing runs the whole origin as bin/ingest wires
// it: ffmpeg publishes over RTMP while ffmpeg plays the same stream back
// through LL-HLS and LL-DASH from the server's RAM.
func TestOriginPlaysWhilePublishing(t *testing.T) {
	needTool(t, "ffmpeg")
	srv, _ := startServer(t, withDelivery(t, testConfig()))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub := ffmpegCmd(ctx, t, append(lavfiInput(20), "-f", "flv", rtmpURL(srv, "live1", "k"))...)
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

// withDelivery mounts the delivery handler on cfg as the binary does.
func withDelivery(t *testing.T, cfg Config) Config {
	cfg.Streams = window.NewStreams()
	d := delivery.New(delivery.Config{Streams: cfg.Streams, Hop: "origin"}, zerolog.Nop())
	t.Cleanup(d.Close)
	cfg.Delivery = d.Serve
	return cfg
}
