package peers

import (
	"context"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/arrival"
	"github.com/livetree/livetree/bench/play"
	"github.com/livetree/livetree/internal/tooltest"
)

// TestHarnessSmoke runs both benchmarks' set-ups for a few seconds: origin,
// broadcaster and edge; nginx and Varnish serving the edge's parts with the
// same bytes; a short wrk walk on each; and a few LL-HLS viewers.
func TestHarnessSmoke(t *testing.T) {
	tooltest.Need(t, "nginx")
	tooltest.Need(t, "varnishd")
	tooltest.Need(t, "wrk")
	arrival.RaiseFileLimit()
	f := newFanout(t, "../../testdata/sample.ts", time.Minute)
	for _, s := range f.servers {
		t.Run("walk "+s.name, func(t *testing.T) {
			w, err := Walk{Base: s.base, Paths: f.paths, Threads: 1, Conns: 4, Duration: time.Second}.Run(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if w.Errors > 0 || w.Requests == 0 {
				t.Errorf("%s: %.0f req/s, %d errors", s, w.Requests, w.Errors)
			}
		})
	}
	t.Run("viewers", func(t *testing.T) {
		cfg := play.DefaultConfig()
		cfg.URLs = []string{f.live.edge.base + "/live/{stream}/index.m3u8"}
		cfg.Streams = []string{f.live.stream}
		cfg.Viewers = 3
		cfg.Arrival = play.AllAtOnce
		cfg.Ramp = 0
		cfg.Duration = 3 * time.Second
		r, err := play.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors > 0 || res.Started != 3 {
			t.Errorf("%d of 3 viewers played, %d errors of %d requests", res.Started, res.Errors, res.Requests)
		}
	})
}
