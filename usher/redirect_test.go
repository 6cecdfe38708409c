package usher

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/token"
)

// twoDCFleet starts a server in dc-a with edges a1, a2 in dc-a and b1 in
// dc-b, peered with PeerNet's viewers, and an origin of streams.
func twoDCFleet(t *testing.T, mutate func(*Config), streams ...string) (*testServer, map[string]*fakeEdge) {
	t.Helper()
	cfg := testConfig(testRedisURL(t))
	cfg.ISPTablePath = "testdata/isp.txt"
	cfg.Dials.DCCost = map[string]float64{"dc-a": 1, "dc-b": 1}
	if mutate != nil {
		mutate(&cfg)
	}
	srv := startServer(t, cfg)
	edges := map[string]*fakeEdge{
		"a1": startEdge(t, srv, edgeLoad("a1", "dc-a", 50)),
		"a2": startEdge(t, srv, edgeLoad("a2", "dc-a", 500)),
		"b1": startEdge(t, srv, edgeLoad("b1", "dc-b", 60)),
	}
	startOrigin(t, srv, 5, streams...)
	waitFleet(t, srv, 3, streams...)
	return srv, edges
}

func TestRedirectChoosesEdge(t *testing.T) {
	srv, _ := twoDCFleet(t, nil, "same", "peer", "transit", "carried")
	tests := []struct {
		name, stream, ip, want string
	}{
		// a1 and b1 are about as loaded; the arrival bonus of dc-a wins.
		{"same-dc-least-loaded", "same", "192.0.2.10", "a1.test"},
		// PeerNet peers with dc-b, so b1 costs nothing while dc-a costs 1.
		{"peered-isp", "peer", "203.0.113.7", "b1.test"},
		// A network without peering pays the same everywhere.
		{"unpeered-isp", "transit", "198.51.100.9", "a1.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, loc := play(t, srv, tc.stream, tc.ip)
			if st != http.StatusFound {
				t.Fatalf("status %d, want 302", st)
			}
			if got := hostOf(loc); got != tc.want {
				t.Errorf("sent to %s (%s), want %s", got, loc, tc.want)
			}
			if !strings.Contains(loc, "/live/"+tc.stream+"/index.m3u8?token=") {
				t.Errorf("location %q lacks path and token", loc)
			}
		})
	}
	t.Run("carrying-edge-first", func(t *testing.T) {
		_, first := play(t, srv, "carried", "203.0.113.7")
		// The next viewer is from a network that would prefer dc-a, but
		// the edge that already carries the stream needs no new upstream.
		_, second := play(t, srv, "carried", "192.0.2.10")
		if hostOf(first) != "b1.test" || hostOf(second) != "b1.test" {
			t.Errorf("sent to %s then %s, want b1 twice", hostOf(first), hostOf(second))
		}
	})
	t.Run("unknown-stream", func(t *testing.T) {
		if st, _ := play(t, srv, "nobody", ""); st != http.StatusNotFound {
			t.Errorf("status %d, want 404", st)
		}
	})
	t.Run("dash", func(t *testing.T) {
		resp, err := noFollow.Get(srv.url + "/live/same/manifest.mpd")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasSuffix(strings.Split(loc, "?")[0], "/live/same/manifest.mpd") {
			t.Errorf("location %q", loc)
		}
	})
}

func TestTokenVerifies(t *testing.T) {
	srv, _ := twoDCFleet(t, nil, "tok")
	_, loc := play(t, srv, "tok", "192.0.2.10")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	v, err := token.NewVerifier(map[string][]byte{"k1": []byte(testTokenKey)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := v.Verify(tok, "tok", now, netip.Addr{}); err != nil {
		t.Errorf("token does not verify: %v", err)
	}
	if err := v.Verify(tok, "other", now, netip.Addr{}); err == nil {
		t.Error("token verifies for another stream")
	}
	if err := v.Verify(tok, "tok", now.Add(13*time.Hour), netip.Addr{}); err == nil {
		t.Error("token verifies after its TTL")
	}

	// /api/play gives the ranked edges with the same token.
	resp, err := http.Get(srv.url + "/api/play/tok")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r playReply
	if err := jsonDecode(resp, &r); err != nil {
		t.Fatal(err)
	}
	if r.Token != tok || len(r.Edges) != 3 || !strings.Contains(r.Edges[0].HLS, "token="+tok) {
		t.Errorf("play reply %+v", r)
	}
}

func TestOverflowWhenFull(t *testing.T) {
	cfg := testConfig(testRedisURL(t))
	// A long refresh interval keeps one ledger over the whole burst.
	cfg.RefreshInterval = time.Second
	cfg.Dials.OverflowURL = "https://overflow.test/{stream}/{path}"
	srv := startServer(t, cfg)
	// 100 Mbps at 90 % headroom and 10 Mbps per viewer: room for 9.
	small := edgeLoad("small", "dc-a", 0)
	small.CapacityMbps = 100
	startEdge(t, srv, small)
	startOrigin(t, srv, 10, "big")
	waitFleet(t, srv, 1, "big")
	before := srv.st.refreshes.Load()
	waitFor(t, 3*time.Second, "a refresh", func() bool { return srv.st.refreshes.Load() != before })

	toEdge, toOverflow := 0, 0
	for range 12 {
		st, loc := play(t, srv, "big", "")
		switch {
		case st == http.StatusFound && hostOf(loc) == "small.test":
			toEdge++
		case st == http.StatusFound && loc == "https://overflow.test/big/index.m3u8":
			toOverflow++
		default:
			t.Fatalf("status %d location %q", st, loc)
		}
	}
	if toEdge != 9 || toOverflow != 3 {
		t.Errorf("%d to the edge, %d to overflow; want 9 and 3", toEdge, toOverflow)
	}
	if got := srv.st.overflowed.Load(); got != 3 {
		t.Errorf("overflow counter %d, want 3", got)
	}
}

func TestFullFleetWithoutOverflowIs503(t *testing.T) {
	srv := startServer(t, testConfig(testRedisURL(t)))
	startEdge(t, srv, edgeLoad("full", "dc-a", 1000))
	startOrigin(t, srv, 5, "s")
	waitFleet(t, srv, 1, "s")
	if st, _ := play(t, srv, "s", ""); st != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", st)
	}
}

func TestDrainedEdgeGetsNoViewers(t *testing.T) {
	srv, edges := twoDCFleet(t, nil, "d1", "d2", "d3")
	if st, b := adminDo(t, srv, http.MethodPost, "/admin/edges/a1/drain", testAdminToken, ""); st != http.StatusNoContent {
		t.Fatalf("drain: %d %s", st, b)
	}
	waitFor(t, 3*time.Second, "drain in heartbeat reply", edges["a1"].hb.Drain)
	waitFor(t, 3*time.Second, "drain in snapshot", func() bool {
		e, ok := srv.view.Load().snap.Edge("a1")
		return ok && e.State.String() == "draining"
	})
	for _, s := range []string{"d1", "d2", "d3"} {
		if _, loc := play(t, srv, s, "192.0.2.10"); hostOf(loc) == "a1.test" {
			t.Errorf("stream %s sent to drained a1", s)
		}
	}
	if st, _ := adminDo(t, srv, http.MethodDelete, "/admin/edges/a1/drain", testAdminToken, ""); st != http.StatusNoContent {
		t.Fatalf("undrain: %d", st)
	}
	waitFor(t, 3*time.Second, "undrain in heartbeat reply", func() bool { return !edges["a1"].hb.Drain() })
}

func TestStaleEdgeLeaves(t *testing.T) {
	srv, edges := twoDCFleet(t, nil, "st")
	edges["a1"].stop()
	stopped := time.Now()
	waitFor(t, 4*time.Second, "a1 to leave", func() bool {
		_, ok := srv.view.Load().snap.Edge("a1")
		return !ok
	})
	// The edge is gone within the 3 s edge timeout plus one refresh.
	if took := time.Since(stopped); took > 3*time.Second+200*time.Millisecond {
		t.Errorf("a1 left after %v", took)
	}
	if _, loc := play(t, srv, "st", "192.0.2.10"); hostOf(loc) == "a1.test" {
		t.Error("viewer sent to the stale edge")
	}
	if ids := adminEdgeIDs(t, srv); slices.Contains(ids, "a1") || len(ids) != 2 {
		t.Errorf("admin lists edges %v", ids)
	}
}

func TestDialsChangeWithoutRestart(t *testing.T) {
	srv, _ := twoDCFleet(t, nil, "dial")
	rdb := srv.Redis()
	ctx := context.Background()
	// Headroom 0.01 leaves no edge room: viewers go to the overflow.
	if err := rdb.HSet(ctx, keyDials, dialHeadroom, "0.01", dialOverflowURL, "https://of.test/{stream}").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "dials to apply", func() bool {
		_, loc := play(t, srv, "dial", "")
		return loc == "https://of.test/dial"
	})
	// An invalid dial is rejected and the previous ones stay.
	if err := rdb.HSet(ctx, keyDials, dialHeadroom, "2").Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := srv.view.Load().snap.Dials().Headroom; got != 0.01 {
		t.Errorf("headroom %v after an invalid dial, want 0.01 kept", got)
	}
	if err := rdb.Del(ctx, keyDials).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "defaults to return", func() bool {
		_, loc := play(t, srv, "dial", "")
		return strings.HasPrefix(loc, "http://a")
	})
}

func TestAuth(t *testing.T) {
	srv, _ := twoDCFleet(t, nil, "auth")
	tests := []struct {
		name, method, url, tok string
		want                   int
	}{
		{"admin-no-token", http.MethodGet, srv.admin + "/admin/edges", "", http.StatusUnauthorized},
		{"admin-wrong-token", http.MethodGet, srv.admin + "/admin/edges", "nope", http.StatusForbidden},
		{"admin-fleet-token", http.MethodGet, srv.admin + "/admin/edges", testFleetToken, http.StatusForbidden},
		{"admin-ok", http.MethodGet, srv.admin + "/admin/edges", testAdminToken, http.StatusOK},
		{"admin-drain-no-token", http.MethodPost, srv.admin + "/admin/edges/a1/drain", "", http.StatusUnauthorized},
		{"admin-dials-wrong", http.MethodPut, srv.admin + "/admin/dials", "x", http.StatusForbidden},
		{"heartbeat-no-token", http.MethodPost, srv.url + fleet.PathHeartbeat, "", http.StatusUnauthorized},
		{"heartbeat-wrong-token", http.MethodPost, srv.url + fleet.PathHeartbeat, testAdminToken, http.StatusForbidden},
		{"origin-no-token", http.MethodPost, srv.url + fleet.PathOrigin, "", http.StatusUnauthorized},
		{"parent-wrong-token", http.MethodGet, srv.url + fleet.PathParent + "?stream=auth&edge=a1", "x", http.StatusForbidden},
		{"parent-ok", http.MethodGet, srv.url + fleet.PathParent + "?stream=auth&edge=a1", testFleetToken, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader("{}"))
			if tc.tok != "" {
				req.Header.Set("Authorization", "Bearer "+tc.tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
