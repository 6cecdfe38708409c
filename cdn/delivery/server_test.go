package delivery

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// fixture is a handler served by a real fasthttp server on loopback.
type fixture struct {
	h       *Handler
	streams *window.Streams
	base    string // http://127.0.0.1:port
	addr    string
	fast    FastListener // nil where there is no fast path
}

// newFixture starts a server for a handler over a fresh set of streams.
func newFixture(t testing.TB, cfg Config, tune ...func(*fasthttp.Server)) *fixture {
	t.Helper()
	return newFixtureOn(t, cfg, true, tune...)
}

// newFixtureOn is newFixture with the fast path, where there is one, or
// without it: then the full server answers every request.
func newFixtureOn(t testing.TB, cfg Config, fast bool, tune ...func(*fasthttp.Server)) *fixture {
	t.Helper()
	f := &fixture{streams: window.NewStreams()}
	cfg.Streams = f.streams
	var log zerolog.Logger
	if _, ok := t.(*keepAlive); ok {
		log = zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	} else {
		log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	}
	f.h = New(cfg, log)
	srv := f.h.Server()
	for _, fn := range tune {
		fn(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.base = "http://" + f.addr
	// Every test of the fixture goes through the fast path where there is
	// one, so the answers it gives and the connections it hands over are
	// checked by the same tests as the full server's.
	var sl net.Listener = Listener(ln)
	if fast {
		if fl, err := f.h.FastListener(ln, nil); err == nil {
			sl, f.fast = fl, fl
		}
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(sl)
	}()
	t.Cleanup(func() {
		f.h.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.ShutdownWithContext(ctx)
		<-served
	})
	return f
}

var (
	sharedOnce sync.Once
	sharedFix  *fixture
	sharedLive *live
)

// shared returns a server with stream "s", fed in real time, that tests
// which only read may share. It lives until the test binary exits.
func shared(t *testing.T) (*fixture, *live) {
	t.Helper()
	sharedOnce.Do(func() {
		tb := &keepAlive{TB: t}
		sharedFix = newFixture(tb, Config{Hop: "test-origin"})
		sharedLive = startLive(tb, sharedFix.streams, "s", liveConfig(), 4*time.Second)
	})
	if sharedFix == nil {
		t.Fatal("shared fixture failed")
	}
	return sharedFix, sharedLive
}

// keepAlive is a testing.TB whose cleanups never run, for fixtures that
// outlive the test that starts them.
type keepAlive struct{ testing.TB }

func (keepAlive) Cleanup(func()) {}

// client is the HTTP client of tests: Go's own, so fasthttp's responses are
// checked by an independent parser.
var client = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
}

// get fetches a URL with optional headers given as "Name: value".
func get(t testing.TB, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodGet, url, headers...)
}

func do(t testing.TB, method, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, body
}

// waitFor polls cond until it holds or d passes; tests use it, the handler
// never polls.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
