package play

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/ingest"
	"github.com/livetree/livetree/ingest/ingesttest"
)

// sampleMedia is testdata/sample.ts, decoded once for every test.
var sampleMedia = sync.OnceValues(func() (*push.Media, error) { return push.LoadTS("../../testdata/sample.ts") })

// origin is an in-process origin, composed as bin/ingest composes it.
type origin struct {
	srv *ingest.Origin
}

// httpBase returns http://host:port.
func (o *origin) httpBase() string { return "http://" + o.srv.Addr() }

// startOrigin runs an origin until the test ends.
func startOrigin(t *testing.T) *origin {
	t.Helper()
	return &origin{srv: ingesttest.StartOrigin(t)}
}

// publish replays the sample to stream over RTMP until the test ends, and
// returns once the stream's LL-HLS playlist lists its third segment.
func (o *origin) publish(t *testing.T, stream string) {
	t.Helper()
	m, err := sampleMedia()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- push.RTMP(ctx, fmt.Sprintf("rtmp://%s/live/%s?key=k", o.srv.RTMPAddr(), stream), m, 0, nil)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("%s/live/%s/video.m3u8?_HLS_msn=2", o.httpBase(), stream))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("publisher stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("stream did not start")
}

// testConfig is a short run of viewers of url.
func testConfig(url string, viewers int, d time.Duration) Config {
	cfg := DefaultConfig()
	cfg.URLs = []string{url}
	cfg.Streams = []string{"s"}
	cfg.Viewers = viewers
	cfg.Arrival = AllAtOnce
	cfg.Ramp = 0
	cfg.Duration = d
	cfg.Sample = 500 * time.Millisecond
	cfg.Retry = 200 * time.Millisecond
	return cfg
}
