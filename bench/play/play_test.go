package play

import (
	"context"
	"flag"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/bench/report"
)

// TestAgainstOrigin runs viewers against a real in-process origin fed by
// an RTMP publisher.
func TestAgainstOrigin(t *testing.T) {
	o := startOrigin(t)
	o.publish(t, "s")
	entry := o.httpBase() + "/live/{stream}/index.m3u8"

	t.Run("LL-HLS blocking reloads and preload hints", func(t *testing.T) {
		cfg := testConfig(entry, 1, 3*time.Second)
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		type reload struct {
			q          pos
			sent, back time.Time
			pl         *mediaPlaylist
		}
		var mu sync.Mutex
		var reloads []reload
		var hints []hintEvent
		r.hooks.playlist = func(q pos, sent, back time.Time, pl *mediaPlaylist) {
			mu.Lock()
			reloads = append(reloads, reload{q, sent, back, pl})
			mu.Unlock()
		}
		r.hooks.hint = func(h hintEvent) {
			mu.Lock()
			hints = append(hints, h)
			mu.Unlock()
		}
		fetched := map[string]int{}
		r.hooks.media = func(uri string) {
			mu.Lock()
			fetched[uri]++
			mu.Unlock()
		}
		res := run(t, r)
		if res.Errors > 0 {
			t.Fatalf("errors: %v", res.ErrorsBy)
		}
		mu.Lock()
		defer mu.Unlock()
		for uri, n := range fetched {
			if n > 1 {
				t.Errorf("%s fetched %d times", uri, n)
			}
		}
		// Parts are 200 ms: three seconds hold about 15. A client that
		// polled instead of blocking would make many more reloads.
		if len(reloads) < 8 || len(reloads) > 20 {
			t.Fatalf("%d blocking reloads in 3 s of 200 ms parts", len(reloads))
		}
		var waits []time.Duration
		for _, rl := range reloads {
			if !lists(rl.pl, rl.q) {
				t.Errorf("reload for %v returned a playlist without it", rl.q)
			}
			waits = append(waits, rl.back.Sub(rl.sent))
		}
		// The server held the reloads until their part was complete: the
		// typical one waited most of a part.
		if m := median(waits); m < 100*time.Millisecond || m > 400*time.Millisecond {
			t.Errorf("median blocking reload took %v, want about a part (200 ms)", m)
		}
		if len(hints) < 8 {
			t.Fatalf("%d hinted parts fetched", len(hints))
		}
		var streamed []time.Duration
		seen := map[string]bool{}
		for _, h := range hints {
			if seen[h.uri] {
				t.Errorf("hinted part %s fetched twice", h.uri)
			}
			seen[h.uri] = true
			if _, ok := h.before.find(h.uri); ok {
				t.Errorf("hinted part %s was already complete when requested", h.uri)
			}
			at, ok := h.after.find(h.uri)
			if !ok {
				t.Errorf("the reload sent with hinted part %s does not list it", h.uri)
				continue
			}
			p := h.after.part(at)
			if got := time.Duration(h.obj.ticks) * time.Second / time.Duration(h.timescale); (got - p.dur).Abs() > 2*time.Millisecond {
				t.Errorf("hinted part %v holds %v of media, the playlist says %v", h.q, got, p.dur)
			}
			streamed = append(streamed, h.obj.done.Sub(h.obj.first))
			// Requested early, answered as the part began, not when it
			// was complete.
			if d := h.obj.first.Sub(h.sent); d > p.dur {
				t.Errorf("hinted part %v: first byte %v after the request, longer than the part", h.q, d)
			}
		}
		if m := median(streamed); m < 100*time.Millisecond {
			t.Errorf("median hinted part streamed over %v; want most of its 200 ms", m)
		}
		if res.Latency.Count() == 0 || res.Latency.Quantile(0.5) > 400*time.Millisecond {
			t.Errorf("latency p50 %v over %d samples", res.Latency.Quantile(0.5), res.Latency.Count())
		}
		if res.Started != 1 || res.Stalls != 0 {
			t.Errorf("started %d, stalls %d", res.Started, res.Stalls)
		}
	})

	for _, proto := range []Protocol{DASH, Segments} {
		t.Run(string(proto), func(t *testing.T) {
			cfg := testConfig(entry, 2, 3500*time.Millisecond)
			cfg.Mix = []Share{{proto, 1}}
			cfg.Audio = true
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, r)
			if res.Errors > 0 || res.Started != 2 || res.Latency.Count() == 0 {
				t.Fatalf("errors %v, started %d, %d latency samples", res.ErrorsBy, res.Started, res.Latency.Count())
			}
			limit := 300 * time.Millisecond // a chunk, as it is written
			if proto == Segments {
				limit = 2 * time.Second // a whole segment, once complete
			}
			if p := res.Latency.Quantile(0.5); p > limit {
				t.Errorf("latency p50 %v, want under %v", p, limit)
			}
		})
	}

	t.Run("redirect from usher", func(t *testing.T) {
		usher := fakeUsher(t, o.httpBase())
		cfg := testConfig("http://"+usher+"/live/{stream}/index.m3u8", 4, 2500*time.Millisecond)
		cfg.Mix = []Share{{LLHLS, 1}, {DASH, 1}}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		tokens := 0
		r.hooks.hint = func(h hintEvent) {
			mu.Lock()
			if strings.Contains(h.after.hint, "token=abc") {
				tokens++
			}
			mu.Unlock()
		}
		res := run(t, r)
		if res.Errors > 0 || res.Redirects != 4 || res.Redirect.Count() != 4 || res.Started != 4 {
			t.Fatalf("errors %v, %d redirects, %d timed, %d started", res.ErrorsBy, res.Redirects, res.Redirect.Count(), res.Started)
		}
		if len(res.Edges) != 1 || res.Edges[0].Edge != "origin" || res.Edges[0].Viewers != 4 {
			t.Fatalf("served by %v, want origin ×4", res.Edges)
		}
		mu.Lock()
		defer mu.Unlock()
		if tokens == 0 {
			t.Fatal("the playback token was not carried into the playlists")
		}
	})

	t.Run("report and gates", func(t *testing.T) {
		cfg := testConfig(entry, 6, 2500*time.Millisecond)
		cfg.Mix = []Share{{LLHLS, 1}, {DASH, 1}, {Segments, 1}}
		cfg.Arrival, cfg.Ramp = Flash, time.Second
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res := run(t, r)
		rep := res.Report([]string{"bench", "play"})
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var g report.Gate
		g.Max(fs, "max-p99-latency", "latency_p99_ms", "")
		g.Max(fs, "max-stall-ratio", "stall_ratio", "")
		g.Max(fs, "max-error-rate", "error_rate", "")
		if err := fs.Parse([]string{"-max-p99-latency", "1", "-max-stall-ratio", "0.5", "-max-error-rate", "0.01"}); err != nil {
			t.Fatal(err)
		}
		if err := g.Apply(rep); err != nil {
			t.Fatal(err)
		}
		failed := rep.Check()
		if len(failed) != 1 || failed[0].Key != "latency_p99_ms" {
			t.Fatalf("failed %v; want only the 1 ms latency limit", failed)
		}
		if len(rep.Dists) == 0 || len(rep.Dists[0].Values) == 0 || len(rep.Charts) < 4 || len(res.Series) < 3 {
			t.Fatalf("report lacks the latency CDF or the time series")
		}
		var sb strings.Builder
		if err := report.WriteHTML(&sb, rep); err != nil {
			t.Fatal(err)
		}
	})
}

// lists reports whether pl has part q complete, or q runs past the end of
// a complete segment and pl has the next one's first part.
func lists(pl *mediaPlaylist, q pos) bool {
	if pl.part(q) != nil {
		return true
	}
	s := pl.segment(q.msn)
	return s != nil && s.uri != "" && q.part >= int64(len(s.parts)) && pl.part(pos{q.msn + 1, 0}) != nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// run runs r and fails the test on an error.
func run(t *testing.T, r *Runner) *Result {
	t.Helper()
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fakeUsher answers /live/{stream}/{file} with a 302 to the same path on
// target, with a playback token, as usher does.
func fakeUsher(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Location", target+string(ctx.Path())+"?token=abc")
		ctx.Response.Header.Set("Cache-Control", "no-store")
		ctx.SetStatusCode(fasthttp.StatusFound)
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}
