package cdn

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestIdle(t *testing.T) {
	o := sharedOrigin(t)
	cfg := testConfig("I", o.url)
	cfg.IdleTimeout = 400 * time.Millisecond
	e, url := startEdge(t, cfg)
	if _, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	if n := e.stats.Upstreams.Load(); n != 1 {
		t.Fatalf("%d upstreams, want 1", n)
	}

	// A child edge's feed keeps the stream, with no viewer.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/feed/s", nil)
	resp, err := httpClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("feed: %v", err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				return
			}
		}
	}()
	time.Sleep(3 * cfg.IdleTimeout)
	if e.Streams().Get("s") == nil {
		t.Fatal("stream dropped while it feeds a child")
	}
	cancel()
	resp.Body.Close()
	waitFor(t, 2*time.Second, "idle drop", func() bool {
		return e.Streams().Get("s") == nil && e.stats.Upstreams.Load() == 0
	})
	if n := e.stats.DroppedIdle.Load(); n != 1 {
		t.Errorf("%d idle drops, want 1", n)
	}
	// The next viewer pulls it again.
	if _, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist after the drop: %d %v", st, err)
	}
	if n := e.stats.PullsStarted.Load(); n != 2 {
		t.Errorf("%d pulls, want 2", n)
	}
}

// TestRAMCap holds two streams under a cap that fits one: the least
// recently watched goes.
func TestRAMCap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := startOrigin(t, ctx, "x", "y")
	waitSegments(t, o.streams.Get("y"), 2)
	cfg := testConfig("R", o.url)
	cfg.MaxRAM = 1
	e, url := startEdge(t, cfg)
	for _, name := range []string{"x", "y"} {
		if _, st, err := fetch(url + "/live/" + name + "/index.m3u8"); err != nil || st != http.StatusOK {
			t.Fatalf("%s: %d %v", name, st, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, 2*time.Second, "x dropped", func() bool { return e.Streams().Get("x") == nil })
	if e.Streams().Get("y") == nil {
		t.Fatal("the most recently watched stream was dropped")
	}
	if _, st, err := fetch(url + "/live/x/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("x again: %d %v", st, err)
	}
	waitFor(t, 2*time.Second, "y dropped", func() bool { return e.Streams().Get("y") == nil })
	if e.Streams().Get("x") == nil {
		t.Fatal("x dropped though watched last")
	}
	if n := e.stats.DroppedRAM.Load(); n < 2 {
		t.Errorf("%d drops for RAM, want at least 2", n)
	}
}

// TestEnded ends a stream at the origin: the edge's playlist ends too, and
// the stream goes after the linger.
func TestEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := startOrigin(t, ctx, "e")
	waitSegments(t, o.streams.Get("e"), 2)
	cfg := testConfig("E", o.url)
	cfg.EndedLinger = 500 * time.Millisecond
	e, url := startEdge(t, cfg)
	if _, st, err := fetch(url + "/live/e/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	cancel()
	waitFor(t, 2*time.Second, "end", func() bool {
		st := e.Streams().Get("e")
		return st != nil && st.Ended()
	})
	body, st, err := fetch(url + "/live/e/video.m3u8")
	if err != nil || st != http.StatusOK || !strings.Contains(string(body), "#EXT-X-ENDLIST") {
		t.Errorf("ended playlist: %d %v\n%s", st, err, body)
	}
	waitFor(t, 2*time.Second, "drop after the end", func() bool { return e.Streams().Get("e") == nil })
	if n := e.stats.DroppedEnded.Load(); n != 1 {
		t.Errorf("%d ended drops, want 1", n)
	}
}

// TestUnknownStream asks for a stream no parent has: 404 at once, and the
// parents are not asked again within the negative cache's life.
func TestUnknownStream(t *testing.T) {
	o := sharedOrigin(t)
	_, url := startEdge(t, testConfig("U", o.url, o.url))
	asked := o.feedsFrom("U")
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		_, st, err := fetch(url + "/live/nope/index.m3u8")
		if err != nil || st != http.StatusNotFound {
			t.Fatalf("unknown stream: %d %v", st, err)
		}
		if d := time.Since(t0); d > 500*time.Millisecond {
			t.Errorf("404 took %v", d)
		}
	}
	if n := o.feedsFrom("U") - asked; n != 1 {
		t.Errorf("origin asked %d times, want 1", n)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/live/bad%20name/index.m3u8", http.StatusBadRequest},
		{"/feed/bad.name", http.StatusBadRequest},
		{"/feed/s?from=x", http.StatusBadRequest},
		{"/nothing", http.StatusNotFound},
	} {
		if _, st, _ := fetch(url + tc.path); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.path, st, tc.want)
		}
	}
}

func TestLoadAndMetrics(t *testing.T) {
	o := sharedOrigin(t)
	cfg := testConfig("M", o.url)
	cfg.DC = "dc1"
	e, url := startEdge(t, cfg)
	body, st, err := fetch(url + "/live/s/video.m3u8")
	if err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	_ = body
	time.Sleep(1200 * time.Millisecond) // one egress measurement
	l := e.Load()
	if l.ID != "M" || l.DC != "dc1" || l.State != StateActive || l.Viewers["s"] != 1 ||
		len(l.Streams) != 1 || l.Streams[0] != "s" || l.Upstreams != 1 || l.CapacityMbps != cfg.CapacityMbps {
		t.Errorf("load %+v", l)
	}
	m, st, err := fetch(url + "/metrics")
	if err != nil || st != http.StatusOK {
		t.Fatalf("metrics: %d %v", st, err)
	}
	for _, want := range []string{
		"livetree_cdn_upstream_connections 1",
		`livetree_cdn_viewers{stream="s"} 1`,
		"livetree_cdn_pulls_started_total 1",
		"livetree_delivery_requests_total",
		"go_goroutines",
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if b, st, _ := fetch(url + "/healthz"); st != http.StatusOK || string(b) != "ok\n" {
		t.Errorf("healthz: %d %q", st, b)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default with parent", func(c *Config) {}, true},
		{"fallbacks only", func(c *Config) { c.Parent, c.Fallbacks = "", []string{"http://o:8080"} }, true},
		{"picker only", func(c *Config) { c.Parent, c.Picker = "", StaticPicker("http://o") }, true},
		{"no parent", func(c *Config) { c.Parent = "" }, false},
		{"parent not a URL", func(c *Config) { c.Parent = "origin:8080" }, false},
		{"ftp parent", func(c *Config) { c.Parent = "ftp://o" }, false},
		{"bad fallback", func(c *Config) { c.Fallbacks = []string{"::"} }, false},
		{"no id", func(c *Config) { c.ID = "" }, false},
		{"no address", func(c *Config) { c.HTTP = "" }, false},
		{"zero capacity", func(c *Config) { c.CapacityMbps = 0 }, false},
		{"negative RAM", func(c *Config) { c.MaxRAM = -1 }, false},
		{"no RAM cap", func(c *Config) { c.MaxRAM = 0 }, true},
		{"zero stall", func(c *Config) { c.StallTimeout = 0 }, false},
		{"heartbeat over stall", func(c *Config) { c.Heartbeat = c.StallTimeout }, false},
		{"zero idle", func(c *Config) { c.IdleTimeout = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.ID, c.Parent = "e", "http://origin:8080"
			tc.edit(&c)
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

// TestOriginRestart moves an edge's parent, without an End, to a stream
// that started over under the same name, as an origin that crashed and
// came back: the edge starts its window over rather than splice the new
// media into the old.
func TestOriginRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := startOrigin(t, ctx, "r")
	waitSegments(t, old.streams.Get("r"), 2)
	restarted := startOrigin(t, ctx, "r")

	// The parent serves the old origin's windows, then the restarted one's.
	var cur atomic.Pointer[fasthttp.RequestHandler]
	oldCtx, crash := context.WithCancel(ctx)
	oldFeed := FeedHandler(old.streams, FeedOptions{Context: oldCtx})
	newFeed := FeedHandler(restarted.streams, FeedOptions{Context: ctx})
	cur.Store(&oldFeed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) { (*cur.Load())(rc) }}
	go func() { _ = srv.Serve(ln) }()
	e, url := startEdge(t, testConfig("O", "http://"+ln.Addr().String()))
	t.Cleanup(func() {
		// Before the edge's cleanup, which runs later: end the feeds, so
		// that the server has no connection left to wait for.
		cancel()
		_ = srv.Shutdown()
	})
	if _, st, err := fetch(url + "/live/r/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	before := e.Streams().Get("r")
	cur.Store(&newFeed)
	crash()
	want := restarted.streams.Get("r").Tracks()[0].Init().Epoch
	waitFor(t, 3*time.Second, "a new window of the new publish", func() bool {
		st := e.Streams().Get("r")
		if st == nil || st == before || len(st.Tracks()) == 0 {
			return false
		}
		return st.Tracks()[0].Init().Epoch == want
	})
	waitSegments(t, e.Streams().Get("r"), 2)
	sameMedia(t, restarted.streams.Get("r"), e.Streams().Get("r"))
}
