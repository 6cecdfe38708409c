package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/usher"
	"github.com/livetree/livetree/usher/fleet/fleettest"
)

// TestWholeSystem runs the fleet of docker-compose.yml in one process:
// usher "a" and usher "b" (one per datacenter) over one redis-server, an
// origin, edge1 and edge2 in datacenter a and edge3 in b. edge1 pulls from
// the origin; edge2 and edge3 ask usher (tree mode), edge3 without any
// fallback, so whatever it plays came through a parent usher named.
//
// The phases run in order on the same fleet and stream; each states what
// usher's policy (package usher/placement) makes of the state the phases
// before it left: edges already carrying a stream rank first, then the
// lowest score, utilisation minus a bonus for the usher's own datacenter.
func TestMain(m *testing.M) {
	// go-redis logs every failed dial on its own; the redis outage phase
	// would fill the output with them.
	redis.SetLogger(quietRedis{})
	os.Exit(m.Run())
}

// quietRedis drops go-redis's own log lines.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func TestWholeSystem(t *testing.T) {
	tooltest.Need(t, "ffmpeg")
	start := time.Now()
	r := fleettest.StartRedis(t)
	ua := startUsher(t, r.URL(0), "a")
	ub := startUsher(t, r.URL(0), "b")
	ushers := []string{ua.url, ub.url}

	origin := startOrigin(t, r.URL(0), ushers)
	originURL := "http://" + origin.Addr()
	edge1 := startEdge(t, "edge1", "a", ushers, originURL)
	edge2 := startEdge(t, "edge2", "a", ushers, "", originURL)
	edge3 := startEdge(t, "edge3", "b", ushers, "")
	edges := []*edgeNode{edge1, edge2, edge3}

	const stream = "show"
	if st, b := adminDo(t, ua, http.MethodPut, "/admin/keys/"+stream, streamKey); st != http.StatusNoContent {
		t.Fatalf("setting the stream key: %d %s", st, b)
	}

	t.Run("wrong stream key refused", func(t *testing.T) {
		resp, err := http.Post(originURL+"/ingest/"+stream+"?key=wrong", "video/mp2t", bytes.NewReader(make([]byte, 188)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("push with a wrong key: %d, want 403", resp.StatusCode)
		}
	})

	// The broadcaster runs for the whole test.
	pubCtx, stopPub := context.WithCancel(context.Background())
	pub := ffmpeg(pubCtx, t,
		"-re", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "120",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30", "-pix_fmt", "yuv420p",
		"-b:v", "300k", "-c:a", "aac", "-b:a", "64k",
		"-f", "flv", "rtmp://"+origin.RTMPAddr()+"/live/"+stream+"?key="+streamKey)
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopPub(); _ = pub.Wait() })

	// Both ushers know the stream and the three edges.
	for _, u := range []*usherNode{ua, ub} {
		waitFor(t, 10*time.Second, "the fleet at usher "+u.url, func() bool {
			var es []struct{ ID string }
			var ss []struct{ Name string }
			adminList(t, u, "/admin/edges", &es)
			adminList(t, u, "/admin/streams", &ss)
			return len(es) == 3 && len(ss) == 1 && ss[0].Name == stream
		})
	}
	// Let the origin cut a few segments, so edges start at once.
	waitFor(t, 10*time.Second, "segments at the origin", func() bool {
		w := origin.Streams().Get(stream)
		if w == nil || len(w.Tracks()) != 2 {
			return false
		}
		for _, tr := range w.Tracks() {
			if len(tr.Segments()) < 3 {
				return false
			}
		}
		return true
	})
	t.Logf("fleet up after %v", time.Since(start))

	t.Run("arrival datacenter", func(t *testing.T) {
		// Nobody carries the stream and every edge idles: each usher
		// prefers its own datacenter.
		st, loc := redirect(t, ub, stream)
		if e := redirectedTo(loc, edges); st != http.StatusFound || e != edge3 {
			t.Fatalf("usher b: %d %q, want edge3", st, loc)
		}
		if !strings.Contains(loc, "/live/"+stream+"/index.m3u8?token=") {
			t.Errorf("redirect %q carries no token", loc)
		}
		st, loc = redirect(t, ua, stream)
		if e := redirectedTo(loc, edges); st != http.StatusFound || e == nil || e.dc != "a" {
			t.Errorf("usher a: %d %q, want an edge in datacenter a", st, loc)
		}
	})

	t.Run("plays through the redirect", func(t *testing.T) {
		play(t, ub.url+"/live/"+stream+"/index.m3u8", "5")
		l := edge3.Load()
		if l.Viewers[stream] == 0 {
			t.Errorf("edge3 served no viewer: %+v", l)
		}
	})

	t.Run("tree mode edge pulls from usher's parent", func(t *testing.T) {
		// edge3 has no fallback: it pulls from whom usher named, the
		// origin or a parent edge, with the fleet token.
		parent := edge3.Load().Parents[stream]
		names := map[string]string{originURL: "the origin", edge1.url: "edge1", edge2.url: "edge2"}
		if names[parent] == "" {
			t.Fatalf("edge3 pulls from %q", parent)
		}
		t.Logf("edge3 pulls from %s", names[parent])
		var tree struct {
			Nodes []struct {
				Edge      string `json:"edge"`
				ParentURL string `json:"parent_url"`
			} `json:"nodes"`
		}
		// usher's plan and edge3 agree once the plan holds edge3.
		waitFor(t, 5*time.Second, "usher's tree to hold edge3 under its parent", func() bool {
			adminList(t, ua, "/admin/streams/"+stream+"/tree", &tree)
			for _, n := range tree.Nodes {
				if n.Edge == "edge3" {
					return n.ParentURL == edge3.Load().Parents[stream]
				}
			}
			return false
		})
	})

	t.Run("an edge carrying the stream wins", func(t *testing.T) {
		// edge3 now carries the stream, so it needs no new upstream and
		// ranks before the edges of usher a's own datacenter.
		waitFor(t, 3*time.Second, "usher a to send viewers to edge3", func() bool {
			st, loc := redirect(t, ua, stream)
			return st == http.StatusFound && redirectedTo(loc, edges) == edge3
		})
	})

	tok := sign(t, stream, time.Now().Add(time.Hour))
	loadCtx, stopLoad := context.WithCancel(context.Background())
	loaded := make(chan struct{})
	t.Cleanup(func() { stopLoad(); <-loaded })
	t.Run("least loaded", func(t *testing.T) {
		// Every edge carries the stream, and edge1 serves a fifth of its
		// capacity: usher a sends viewers to edge2, its datacenter's
		// least loaded edge, and usher b keeps sending them to edge3.
		for _, e := range []*edgeNode{edge1, edge2} {
			if st, body := get(t, http.DefaultClient, e.url+"/live/"+stream+"/index.m3u8?token="+tok); st != http.StatusOK {
				t.Fatalf("%s: %d %s", e.id, st, body)
			}
		}
		go func() {
			defer close(loaded)
			loader(loadCtx, edge1, stream, tok)
		}()
		waitFor(t, 5*time.Second, "edge1's egress", func() bool { return edge1.Load().EgressMbps > 5 })
		waitFor(t, 5*time.Second, "usher a to prefer edge2", func() bool {
			st, loc := redirect(t, ua, stream)
			return st == http.StatusFound && redirectedTo(loc, edges) == edge2
		})
		st, loc := redirect(t, ub, stream)
		if st != http.StatusFound || redirectedTo(loc, edges) != edge3 {
			t.Errorf("usher b: %d %q, want edge3", st, loc)
		}
		t.Logf("egress: edge1 %.1f, edge2 %.1f, edge3 %.1f Mb/s",
			edge1.Load().EgressMbps, edge2.Load().EgressMbps, edge3.Load().EgressMbps)
	})

	t.Run("playback tokens", func(t *testing.T) {
		base := edge1.url + "/live/" + stream + "/index.m3u8"
		for _, tc := range []struct {
			name, query string
			status      int
			body        string
		}{
			{"none", "", http.StatusForbidden, "missing"},
			{"invalid", "?token=bm90IGEgdG9rZW4", http.StatusForbidden, "invalid"},
			{"expired", "?token=" + sign(t, stream, time.Now().Add(-time.Minute)), http.StatusForbidden, "expired"},
			{"another stream", "?token=" + sign(t, "other", time.Now().Add(time.Hour)), http.StatusForbidden, "another stream"},
			{"valid", "?token=" + tok, http.StatusOK, "#EXTM3U"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st, body := get(t, http.DefaultClient, base+tc.query)
				if st != tc.status || !strings.Contains(body, tc.body) {
					t.Errorf("%d %q, want %d with %q", st, body, tc.status, tc.body)
				}
			})
		}
		// A feed needs the fleet token, at an edge and at the origin.
		for _, base := range []string{edge1.url, originURL} {
			if st, _ := get(t, http.DefaultClient, base+"/feed/"+stream); st != http.StatusUnauthorized {
				t.Errorf("%s: feed without the fleet token: %d, want 401", base, st)
			}
		}
		if st, _ := get(t, http.DefaultClient, originURL+"/live/"+stream+"/index.m3u8"); st != http.StatusForbidden {
			t.Errorf("origin without a token: %d, want 403", st)
		}
	})

	t.Run("drained edge gets no new viewers", func(t *testing.T) {
		if st, b := adminDo(t, ua, http.MethodPost, "/admin/edges/edge2/drain", ""); st != http.StatusNoContent {
			t.Fatalf("drain: %d %s", st, b)
		}
		waitFor(t, 3*time.Second, "edge2 to drain", edge2.Draining)
		// Once both ushers' snapshots hold the drain, no redirect may land
		// on edge2.
		for _, u := range []*usherNode{ua, ub} {
			waitFor(t, 3*time.Second, "usher "+u.url+" to avoid edge2", func() bool {
				_, loc := redirect(t, u, stream)
				e := redirectedTo(loc, edges)
				return e != nil && e != edge2
			})
		}
		for i := 0; i < 10; i++ {
			for _, u := range []*usherNode{ua, ub} {
				if st, loc := redirect(t, u, stream); st != http.StatusFound || redirectedTo(loc, edges) == edge2 {
					t.Fatalf("redirect %d: %d %q", i, st, loc)
				}
			}
		}
		newcomer := clientFrom(t, "127.0.0.2")
		if st, _ := get(t, newcomer, edge2.url+"/live/"+stream+"/index.m3u8?token="+tok); st != http.StatusServiceUnavailable {
			t.Errorf("new viewer at the drained edge: %d, want 503", st)
		}

		// Undrained, it takes viewers again, and is again usher a's pick.
		if st, b := adminDo(t, ua, http.MethodDelete, "/admin/edges/edge2/drain", ""); st != http.StatusNoContent {
			t.Fatalf("undrain: %d %s", st, b)
		}
		waitFor(t, 3*time.Second, "edge2 to take viewers again", func() bool { return !edge2.Draining() })
		waitFor(t, 3*time.Second, "usher a to send viewers to edge2 again", func() bool {
			_, loc := redirect(t, ua, stream)
			return redirectedTo(loc, edges) == edge2
		})
	})

	t.Run("full fleet overflows", func(t *testing.T) {
		// A headroom this small leaves no edge room for one more viewer.
		if st, b := adminDo(t, ua, http.MethodPut, "/admin/dials", `{"headroom":"0.0001"}`); st != http.StatusNoContent {
			t.Fatalf("dials: %d %s", st, b)
		}
		want := strings.NewReplacer("{stream}", stream, "{path}", "index.m3u8").Replace(overflowURL)
		for _, u := range []*usherNode{ua, ub} {
			waitFor(t, 3*time.Second, "the overflow at "+u.url, func() bool {
				st, loc := redirect(t, u, stream)
				return st == http.StatusFound && loc == want
			})
		}
		if st, b := adminDo(t, ua, http.MethodPut, "/admin/dials", `{}`); st != http.StatusNoContent {
			t.Fatalf("dials: %d %s", st, b)
		}
		// Both ushers, so that the next subtest starts from a fleet with
		// room everywhere: ub hears of the dials through Redis.
		for _, u := range []*usherNode{ua, ub} {
			waitFor(t, 3*time.Second, "room again at "+u.url, func() bool {
				_, loc := redirect(t, u, stream)
				return redirectedTo(loc, edges) != nil
			})
		}
	})

	t.Run("redis outage", func(t *testing.T) {
		r.Stop()
		t.Cleanup(func() { _ = r.Start() })
		// Longer than usher's edge timeout: the ushers redirect from
		// their last snapshot, and the edges serve on.
		for end := time.Now().Add(usherEdgeTimeout() + time.Second); time.Now().Before(end); {
			for _, u := range []*usherNode{ua, ub} {
				if st, loc := redirect(t, u, stream); st != http.StatusFound || redirectedTo(loc, edges) == nil {
					t.Fatalf("during the outage: %d %q", st, loc)
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		play(t, ub.url+"/live/"+stream+"/index.m3u8", "2")
	})
	t.Logf("whole system test took %v", time.Since(start))
}

// usherEdgeTimeout is how long usher keeps a silent edge.
func usherEdgeTimeout() time.Duration { return usher.DefaultConfig().EdgeTimeout }

// clientFrom returns a client whose connections come from ip, a loopback
// address other than the default: another viewer.
func clientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true},
		Timeout:   5 * time.Second,
	}
}
