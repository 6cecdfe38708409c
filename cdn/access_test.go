package cdn

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/usher/token"
)

const (
	testFleetToken = "fleet-secret"
	testTokenKey   = "0123456789abcdef-key"
)

var testTokenKeys = map[string][]byte{"k1": []byte(testTokenKey)}

// sign returns a playback token for stream, valid until exp.
func sign(t testing.TB, stream string, exp time.Time, ip netip.Addr) string {
	t.Helper()
	s, err := token.NewSigner(testTokenKeys, "k1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(stream, exp, ip)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// get fetches url with an optional bearer token and returns status and body.
func get(t testing.TB, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// Feeds never end by themselves; the headers are all a case needs.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if strings.Contains(url, FeedPath) && resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// accessCases are the requests every guarded server, edge or origin,
// answers alike.
func accessCases(t testing.TB) []struct {
	name, path, bearer string
	status             int
	body               string
} {
	now := time.Now()
	return []struct {
		name, path, bearer string
		status             int
		body               string
	}{
		{"no token", "/live/s/index.m3u8", "", 403, "missing"},
		{"garbage token", "/live/s/index.m3u8?token=abc", "", 403, "invalid"},
		{"expired", "/live/s/index.m3u8?token=" + sign(t, "s", now.Add(-time.Minute), netip.Addr{}), "", 403, "expired"},
		{"other stream", "/live/s/index.m3u8?token=" + sign(t, "other", now.Add(time.Minute), netip.Addr{}), "", 403, "another stream"},
		{"other address", "/live/s/index.m3u8?token=" + sign(t, "s", now.Add(time.Minute), netip.MustParseAddr("192.0.2.1")), "", 403, "another client address"},
		{"fleet token is no playback token", "/live/s/index.m3u8", testFleetToken, 403, "missing"},
		{"valid", "/live/s/index.m3u8?token=" + sign(t, "s", now.Add(time.Minute), netip.Addr{}), "", 200, "#EXTM3U"},
		{"valid, bound", "/live/s/video.m3u8?token=" + sign(t, "s", now.Add(time.Minute), netip.MustParseAddr("127.0.0.1")), "", 200, "token="},
		{"feed without bearer", "/feed/s", "", 401, "bearer token required"},
		{"feed with wrong bearer", "/feed/s", "nope", 403, "wrong fleet token"},
		{"feed with fleet token", "/feed/s", testFleetToken, 200, ""},
		{"time needs no token", "/time", "", 200, ""},
	}
}

// TestEdgeAccess checks an edge with token keys and a fleet token: viewers
// need a valid playback token, child edges the fleet token, and a child
// with the token pulls through it.
func TestEdgeAccess(t *testing.T) {
	o := sharedOrigin(t)
	cfg := testConfig("G", o.url)
	cfg.TokenKeys = testTokenKeys
	cfg.FleetToken = testFleetToken
	_, url := startEdge(t, cfg)
	for _, tc := range accessCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			st, body := get(t, url+tc.path, tc.bearer)
			if st != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("%d %q, want %d with %q", st, body, tc.status, tc.body)
			}
			if strings.Contains(tc.path, "token=") && strings.Contains(body, tc.path[strings.Index(tc.path, "token=")+6:]) && st != 200 {
				t.Error("the refusal echoes the token")
			}
		})
	}

	t.Run("child with the fleet token", func(t *testing.T) {
		child := testConfig("GC", url)
		child.FleetToken = testFleetToken
		_, curl := startEdge(t, child)
		if st, body := get(t, curl+"/live/s/index.m3u8", ""); st != 200 {
			t.Errorf("%d %q", st, body)
		}
	})
	t.Run("child without it", func(t *testing.T) {
		child := testConfig("GN", url)
		child.ReadyTimeout = 500 * time.Millisecond
		_, curl := startEdge(t, child)
		if st, _ := get(t, curl+"/live/s/index.m3u8", ""); st == 200 {
			t.Error("pulled through a parent that requires the fleet token")
		}
	})
}

// TestOriginAccess checks OriginHandler, the origin's side of the same
// rules.
func TestOriginAccess(t *testing.T) {
	o := sharedOrigin(t)
	access, err := NewAccess(testTokenKeys, testFleetToken)
	if err != nil {
		t.Fatal(err)
	}
	dh := delivery.New(delivery.Config{Streams: o.streams, Hop: "origin"}, zerolog.Nop())
	t.Cleanup(dh.Close)
	ctx, cancel := context.WithCancel(context.Background())
	h := OriginHandler(o.streams, dh.Serve, OriginOptions{Feed: FeedOptions{Context: ctx, Hop: "origin"}, Access: access})
	srv := &fasthttp.Server{Handler: h}
	delivery.ServerDefaults(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		cancel()
		_ = srv.Shutdown()
	})
	url := "http://" + ln.Addr().String()
	for _, tc := range accessCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			st, body := get(t, url+tc.path, tc.bearer)
			if st != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("%d %q, want %d with %q", st, body, tc.status, tc.body)
			}
		})
	}
}
