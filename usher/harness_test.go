package usher

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/fleet/fleettest"
)

const (
	testFleetToken = "fleet-secret"
	testAdminToken = "admin-secret"
	testTokenKey   = "0123456789abcdef0123"
)

// sharedRedis is the package's redis-server, started by the first test
// that needs it and stopped by TestMain.
var (
	sharedMu    sync.Mutex // guards sharedRedis
	sharedRedis *fleettest.Redis
	nextDB      atomic.Int32
)

func TestMain(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	if sharedRedis != nil {
		sharedRedis.Close()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// needRedis skips the test without redis-server, or fails it when CI=true.
func needRedis(t testing.TB) {
	t.Helper()
	if fleettest.Available() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("redis-server not found (CI=true)")
	}
	t.Skip("redis-server not found")
}

// testRedisURL returns a fresh database of the package's shared
// redis-server, so tests do not see each other's state.
func testRedisURL(t testing.TB) string {
	t.Helper()
	needRedis(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedRedis == nil {
		r, err := fleettest.Launch()
		if err != nil {
			t.Fatal(err)
		}
		sharedRedis = r
	}
	db := int(nextDB.Add(1))
	if db >= 64 {
		t.Fatal("out of redis databases")
	}
	return sharedRedis.URL(db)
}

// testConfig returns a config for a test server on loopback ports.
func testConfig(redisURL string) Config {
	cfg := DefaultConfig()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.Redis = redisURL
	cfg.DC = "dc-a"
	cfg.TrustProxy = true
	cfg.FleetToken = testFleetToken
	cfg.AdminToken = testAdminToken
	cfg.TokenKeys = map[string][]byte{"k1": []byte(testTokenKey)}
	cfg.TokenKeyID = "k1"
	cfg.RefreshInterval = 50 * time.Millisecond
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.PlanInterval = 300 * time.Millisecond
	return cfg
}

// testServer is a running Server and its base URLs.
type testServer struct {
	*Server
	url, admin string
}

// startServer runs a server until the test ends.
func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	if testing.Verbose() {
		log = log.Level(zerolog.InfoLevel)
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	ts := &testServer{Server: s, url: "http://" + s.HTTPAddr()}
	if a := s.AdminAddr(); a != "" {
		ts.admin = "http://" + a
	}
	return ts
}

// fakeEdge heartbeats a load that the test changes at will.
type fakeEdge struct {
	mu      sync.Mutex // guards load
	load    fleet.Load
	hb      *fleet.Heartbeater
	cancel  context.CancelFunc
	done    chan struct{}
	replies atomic.Int64
}

// startEdge starts heartbeating l to srv every 50 ms until stopped.
func startEdge(t testing.TB, srv *testServer, l fleet.Load) *fakeEdge {
	t.Helper()
	e := &fakeEdge{load: l, done: make(chan struct{})}
	hb, err := fleet.NewHeartbeater(fleet.HeartbeaterConfig{
		Ushers:   []string{srv.url},
		Token:    testFleetToken,
		Interval: 50 * time.Millisecond,
		Load:     e.get,
		OnReply:  func(fleet.Reply) { e.replies.Add(1) },
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	e.hb = hb
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.done)
		_ = hb.Run(ctx)
	}()
	t.Cleanup(e.stop)
	return e
}

func (e *fakeEdge) get() fleet.Load {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.load
	l.Streams = make(map[string]fleet.StreamLoad, len(e.load.Streams))
	for k, v := range e.load.Streams {
		l.Streams[k] = v
	}
	return l
}

func (e *fakeEdge) set(f func(l *fleet.Load)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(&e.load)
}

func (e *fakeEdge) stop() {
	e.cancel()
	<-e.done
}

// edgeLoad returns a 1 Gbps edge's load.
func edgeLoad(id, dc string, egress float64) fleet.Load {
	return fleet.Load{ID: id, URL: "http://" + id + ".test", DC: dc, CapacityMbps: 1000, EgressMbps: egress}
}

// startOrigin registers streams at bitrate from a fake origin until the
// test ends.
func startOrigin(t testing.TB, srv *testServer, bitrate float64, streams ...string) {
	t.Helper()
	list := make([]fleet.OriginStream, len(streams))
	for i, s := range streams {
		list[i] = fleet.OriginStream{Name: s, BitrateMbps: bitrate}
	}
	reg, err := fleet.NewOriginRegistrar(fleet.OriginRegistrarConfig{
		Ushers:   []string{srv.url},
		Token:    testFleetToken,
		URL:      "http://origin.test",
		Interval: 100 * time.Millisecond,
		Streams:  func() []fleet.OriginStream { return list },
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = reg.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// noFollow is an HTTP client that returns redirects instead of following.
var noFollow = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// play asks srv for stream's playlist from viewer address ip and returns
// the status and Location.
func play(t testing.TB, srv *testServer, stream, ip string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.url+"/live/"+stream+"/index.m3u8", nil)
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// adminDo sends an admin request with the given token ("" for none) and
// returns the status and body.
func adminDo(t testing.TB, srv *testServer, method, path, tok, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.admin+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// adminEdgeIDs lists the edges the admin API shows.
func adminEdgeIDs(t testing.TB, srv *testServer) []string {
	st, b := adminDo(t, srv, http.MethodGet, "/admin/edges", testAdminToken, "")
	if st != http.StatusOK {
		t.Fatalf("admin edges: %d %s", st, b)
	}
	var edges []adminEdge
	if err := json.Unmarshal(b, &edges); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range edges {
		ids = append(ids, e.ID)
	}
	return ids
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFleet waits until the server's snapshot holds n edges and the
// streams.
func waitFleet(t testing.TB, srv *testServer, n int, streams ...string) {
	t.Helper()
	waitFor(t, 5*time.Second, "fleet in snapshot", func() bool {
		snap := srv.view.Load().snap
		if len(snap.Edges()) != n {
			return false
		}
		for _, s := range streams {
			if _, _, ok := snap.Stream(s); !ok {
				return false
			}
		}
		return true
	})
}

// hostOf returns the host of a Location, e.g. "a1.test".
func hostOf(loc string) string {
	loc = strings.TrimPrefix(loc, "http://")
	host, _, _ := strings.Cut(loc, "/")
	return host
}

// jsonDecode decodes a response body into v.
func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}
