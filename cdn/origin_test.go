package cdn

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// origin is an in-process origin: the delivery handler and the feed
// endpoint over windows the packager fills in real time from sample.ts.
type origin struct {
	url     string
	streams *window.Streams
	accepts atomic.Int64 // TCP connections accepted

	mu    sync.Mutex     // guards feeds
	feeds map[string]int // feed requests by the requester's X-Livetree-Hop
}

// feedsFrom returns how many feed requests the edge with that id made.
func (o *origin) feedsFrom(id string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.feeds[id]
}

// get fetches a path from the origin.
func (o *origin) get(t testing.TB, path string) []byte {
	t.Helper()
	b, status, err := fetch(o.url + path)
	if err != nil || status != http.StatusOK {
		t.Fatalf("origin GET %s: %d %v", path, status, err)
	}
	return b
}

var (
	originOnce sync.Once
	sharedOrg  *origin
)

// sharedOrigin returns the origin every test of the package shares, with
// stream "s" live since the first call. It runs until the test binary exits.
func sharedOrigin(t testing.TB) *origin {
	t.Helper()
	originOnce.Do(func() {
		sharedOrg = startOrigin(t, context.Background(), "s")
	})
	waitSegments(t, sharedOrg.streams.Get("s"), 3)
	return sharedOrg
}

// startOrigin serves the named streams, each fed in real time until ctx ends.
func startOrigin(t testing.TB, ctx context.Context, names ...string) *origin {
	t.Helper()
	o := serveOrigin(t, window.NewStreams())
	for _, name := range names {
		st := packager.NewStream(name, packager.DefaultConfig())
		o.streams.Add(st.Window())
		go feedRealTime(ctx, packagertest.Live(t), st)
	}
	return o
}

// serveOrigin serves streams as an origin does, until the test binary exits.
func serveOrigin(t testing.TB, streams *window.Streams) *origin {
	t.Helper()
	o := &origin{streams: streams, feeds: make(map[string]int)}
	log := zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	dh := delivery.New(delivery.Config{Streams: o.streams, Hop: "origin"}, log)
	// Feeds end with their streams' End frame, not with ctx, as at a real
	// origin whose streams end.
	fh := FeedHandler(o.streams, FeedOptions{Hop: "origin"})
	srv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		if bytes.HasPrefix(rc.Path(), []byte(FeedPath)) {
			o.mu.Lock()
			o.feeds[string(rc.Request.Header.Peek(hopHeader))]++
			o.mu.Unlock()
			fh(rc)
			return
		}
		dh.Serve(rc)
	}}
	delivery.ServerDefaults(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.url = "http://" + ln.Addr().String()
	go func() { _ = srv.Serve(&countingListener{Listener: ln, n: &o.accepts}) }()
	return o
}

// feedRealTime publishes the sample in a loop, at the pace of its
// timestamps, continuing one timeline, until ctx ends; then it ends st.
func feedRealTime(ctx context.Context, c *packagertest.Clip, st *packager.Stream) {
	defer st.End()
	sess, err := st.Publish(c.Tracks)
	if err != nil {
		return
	}
	first, last := c.Frames[0].DTS, c.Frames[0].DTS
	for _, f := range c.Frames {
		first, last = min(first, f.DTS), max(last, f.DTS)
	}
	loop := last - first + time.Second/30
	start := time.Now()
	for n := 0; ; n++ {
		shift := time.Duration(n) * loop
		for _, f := range c.Frames {
			at := start.Add(f.DTS - first + shift)
			if d := time.Until(at); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
			f.DTS += shift
			f.PTS += shift
			f.Received = time.Now()
			_ = sess.WriteFrame(f)
		}
	}
}

// waitSegments waits until every track of st has n complete segments.
func waitSegments(t testing.TB, st *window.Stream, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Duration(n+5) * time.Second)
	for time.Now().Before(deadline) {
		ok := len(st.Tracks()) > 0
		for _, tr := range st.Tracks() {
			complete := 0
			for _, s := range tr.Segments() {
				if s.Complete() {
					complete++
				}
			}
			ok = ok && complete >= n
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stream %s: fewer than %d segments", st.Name(), n)
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// httpClient fetches without keeping idle connections between tests and
// without any proxy.
var httpClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, DisableCompression: true},
	Timeout:   10 * time.Second,
}

func fetch(url string) ([]byte, int, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}
