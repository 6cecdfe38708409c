package cdn

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet"
)

// fakeUsher serves usher's fleet API from a table the test sets: whom each
// stream is pulled from, and what heartbeats are answered.
type fakeUsher struct {
	url   string
	token string

	mu      sync.Mutex        // guards the fields below
	parents map[string]string // stream → parent; absent streams are unknown
	reply   fleet.Reply
	last    map[string]fleet.Load // edge ID → its last heartbeat
	asked   int                   // parent queries
	badAuth int                   // requests without the fleet token
}

func startFakeUsher(t testing.TB, token string) *fakeUsher {
	t.Helper()
	u := &fakeUsher{token: token, parents: map[string]string{}, last: map[string]fleet.Load{}}
	mux := http.NewServeMux()
	mux.HandleFunc(fleet.PathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		if !u.authorised(w, r) {
			return
		}
		var l fleet.Load
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&l); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u.mu.Lock()
		u.last[l.ID] = l
		reply := u.reply
		u.mu.Unlock()
		_ = json.NewEncoder(w).Encode(reply)
	})
	mux.HandleFunc(fleet.PathParent, func(w http.ResponseWriter, r *http.Request) {
		if !u.authorised(w, r) {
			return
		}
		stream := r.URL.Query().Get("stream")
		u.mu.Lock()
		u.asked++
		parent, ok := u.parents[stream]
		u.mu.Unlock()
		if !ok {
			http.Error(w, "unknown stream", http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(fleet.ParentReply{Stream: stream, Edge: r.URL.Query().Get("edge"), Parent: parent})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return u
}

func (u *fakeUsher) authorised(w http.ResponseWriter, r *http.Request) bool {
	if u.token != "" && r.Header.Get("Authorization") != "Bearer "+u.token {
		u.mu.Lock()
		u.badAuth++
		u.mu.Unlock()
		http.Error(w, "no", http.StatusUnauthorized)
		return false
	}
	return true
}

func (u *fakeUsher) setParent(stream, parent string) {
	u.mu.Lock()
	u.parents[stream] = parent
	u.mu.Unlock()
}

func (u *fakeUsher) setReply(r fleet.Reply) {
	u.mu.Lock()
	u.reply = r
	u.mu.Unlock()
}

// heartbeat returns the edge's last heartbeat.
func (u *fakeUsher) heartbeat(id string) (fleet.Load, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	l, ok := u.last[id]
	return l, ok
}

// usherConfig is an edge in tree mode under u.
func usherConfig(id string, u *fakeUsher) Config {
	cfg := testConfig(id, "")
	cfg.Ushers = []string{u.url}
	cfg.FleetToken = u.token
	cfg.ReportInterval = 50 * time.Millisecond
	cfg.DC = "dc-" + id
	return cfg
}

// TestUsherTreeMode runs an edge that learns its parents from usher: it
// pulls from the parent usher names, reports its load with per-stream
// viewers and parents, and answers 404 for a stream usher does not know.
func TestUsherTreeMode(t *testing.T) {
	o := sharedOrigin(t)
	u := startFakeUsher(t, "fleet-secret")
	u.setParent("s", o.url)
	e, url := startEdge(t, usherConfig("T", u))

	if _, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	if got := currentParent(e, "s"); got != o.url {
		t.Errorf("parent %q, want the origin %q", got, o.url)
	}
	waitFor(t, 2*time.Second, "a heartbeat with the stream", func() bool {
		l, ok := u.heartbeat("T")
		return ok && l.Streams["s"].Viewers == 1 && l.Streams["s"].Parent == o.url
	})
	l, _ := u.heartbeat("T")
	if l.URL != url || l.DC != "dc-T" || l.CapacityMbps != DefaultConfig().CapacityMbps || l.State != fleet.StateActive {
		t.Errorf("heartbeat %+v", l)
	}

	t0 := time.Now()
	if _, st, err := fetch(url + "/live/unknown/index.m3u8"); err != nil || st != http.StatusNotFound {
		t.Errorf("stream usher does not know: %d %v, want 404", st, err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("404 took %v", d)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.badAuth != 0 {
		t.Errorf("%d requests to usher without the fleet token", u.badAuth)
	}
}

// TestUsherReparent has usher move a stream to another parent while it
// plays: the edge switches within a heartbeat or two, resumes where it
// was, and reports the new parent. An edge with a fixed parent keeps it.
func TestUsherReparent(t *testing.T) {
	o := sharedOrigin(t)
	u := startFakeUsher(t, "")
	u.setParent("s", o.url)
	p2, p2URL := startEdge(t, testConfig("P2", o.url))
	e, url := startEdge(t, usherConfig("R", u))
	pinnedCfg := usherConfig("F", u)
	pinnedCfg.Parent = o.url
	pinned, pinnedURL := startEdge(t, pinnedCfg)
	for _, base := range []string{url, pinnedURL} {
		if _, st, err := fetch(base + "/live/s/video.m3u8"); err != nil || st != http.StatusOK {
			t.Fatalf("playlist: %d %v", st, err)
		}
	}
	st := e.Streams().Get("s")
	last := func() uint64 {
		seg, _ := st.Tracks()[0].Last()
		return seg.MSN
	}
	before := last()

	u.setReply(fleet.Reply{Parents: map[string]string{"s": p2URL}})
	t0 := time.Now()
	waitFor(t, 2*time.Second, "the switch to P2", func() bool { return currentParent(e, "s") == p2URL })
	t.Logf("switched in %v", time.Since(t0))
	waitFor(t, 3*time.Second, "new segments from P2", func() bool { return last() >= before+2 })
	if e.Streams().Get("s") != st {
		t.Error("the switch replaced the window: the feed did not resume")
	}
	if n := p2.feedStats.Served.Load(); n != 1 {
		t.Errorf("P2 served %d feeds, want 1", n)
	}
	waitFor(t, 2*time.Second, "a heartbeat naming P2", func() bool {
		l, _ := u.heartbeat("R")
		return l.Streams["s"].Parent == p2URL
	})
	if got := currentParent(pinned, "s"); got != o.url {
		t.Errorf("pinned edge moved to %q", got)
	}
	// usher's plan naming the edge itself is ignored.
	u.setReply(fleet.Reply{Parents: map[string]string{"s": url}})
	time.Sleep(300 * time.Millisecond)
	if got := currentParent(e, "s"); got != p2URL {
		t.Errorf("edge moved to %q, a parent naming itself", got)
	}
}

// TestUsherDrain has usher ask an edge to drain and then stop asking: the
// edge turns new viewers away meanwhile, keeps running, and takes them
// again afterwards.
func TestUsherDrain(t *testing.T) {
	o := sharedOrigin(t)
	u := startFakeUsher(t, "")
	u.setParent("s", o.url)
	e, url := startEdge(t, usherConfig("UD", u))
	if _, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}

	u.setReply(fleet.Reply{Drain: true})
	waitFor(t, 2*time.Second, "the drain", e.Draining)
	waitFor(t, 2*time.Second, "a draining heartbeat", func() bool {
		l, _ := u.heartbeat("UD")
		return l.State == fleet.StateDraining
	})
	newcomer := clientFrom("127.0.0.2")
	if got := status(t, newcomer, http.MethodGet, url+"/live/s/index.m3u8", ""); got != http.StatusServiceUnavailable {
		t.Errorf("new viewer while draining: %d, want 503", got)
	}
	if got := status(t, newcomer, http.MethodGet, url+"/healthz", ""); got != http.StatusServiceUnavailable {
		t.Errorf("healthz while draining: %d, want 503", got)
	}
	if _, st, err := fetch(url + "/live/s/video.m3u8"); err != nil || st != http.StatusOK {
		t.Errorf("current viewer while draining: %d %v", st, err)
	}

	u.setReply(fleet.Reply{})
	waitFor(t, 2*time.Second, "the end of the drain", func() bool { return !e.Draining() })
	if got := status(t, newcomer, http.MethodGet, url+"/live/s/index.m3u8", ""); got != http.StatusOK {
		t.Errorf("new viewer after the drain: %d, want 200", got)
	}
}

// TestUsherUnreachable starts an edge whose usher is down: it serves from
// its fallback, and its heartbeats fail quietly.
func TestUsherUnreachable(t *testing.T) {
	o := sharedOrigin(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	cfg := testConfig("UU", "", o.url)
	cfg.Ushers = []string{dead}
	cfg.ReadyTimeout = 4 * time.Second
	_, url := startEdge(t, cfg)
	if b, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK || !strings.Contains(string(b), "#EXTM3U") {
		t.Fatalf("playlist through the fallback: %d %v", st, err)
	}
}
