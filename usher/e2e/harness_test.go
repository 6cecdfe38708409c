// Package e2e tests a whole livetree fleet in one process: a real
// redis-server, two usher instances in two datacenters sharing it, an
// ingest origin announcing its streams to them and checking stream keys in
// their Redis, three edges reporting their load, and ffmpeg as broadcaster
// and player, all over real HTTP on loopback. It holds tests only.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/ingest"
	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager/window"
	"github.com/livetree/livetree/usher"
	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/token"
)

const (
	fleetToken = "e2e-fleet-token"
	adminToken = "e2e-admin-token"
	tokenKeyID = "k1"
	tokenKey   = "e2e-token-key-0123456789"
	streamKey  = "e2e-stream-key"
	// overflowURL is usher's overflow template; nothing listens there, the
	// test only reads it from redirects.
	overflowURL = "http://127.0.0.1:9/overflow/{stream}/{path}"
	// capacityMbps is every edge's capacity: the test loads an edge to a
	// fifth of it, well past the arrival bonus.
	capacityMbps = 100
)

var tokenKeys = map[string][]byte{tokenKeyID: []byte(tokenKey)}

// testLog is a logger into the test's output, quiet unless -v.
func testLog(t testing.TB) zerolog.Logger {
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	if testing.Verbose() {
		log = log.Level(zerolog.InfoLevel)
	}
	return log
}

// run runs a component until the test ends and checks it stopped cleanly.
func run(t testing.TB, name string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
}

// usherNode is one running usher instance.
type usherNode struct {
	srv        *usher.Server
	url, admin string
}

func startUsher(t testing.TB, redisURL, dc string) *usherNode {
	t.Helper()
	cfg := usher.DefaultConfig()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.Redis = redisURL
	cfg.DC = dc
	cfg.InstanceID = "usher-" + dc
	cfg.FleetToken = fleetToken
	cfg.AdminToken = adminToken
	cfg.TokenKeys, cfg.TokenKeyID = tokenKeys, tokenKeyID
	cfg.Dials.OverflowURL = overflowURL
	cfg.RefreshInterval = 100 * time.Millisecond
	cfg.FlushInterval = 100 * time.Millisecond
	cfg.PlanInterval = 300 * time.Millisecond
	s, err := usher.New(cfg, testLog(t).With().Str("usher", dc).Logger())
	if err != nil {
		t.Fatal(err)
	}
	run(t, "usher "+dc, s.Run)
	return &usherNode{srv: s, url: "http://" + s.HTTPAddr(), admin: "http://" + s.AdminAddr()}
}

// startOrigin runs an ingest server wired as bin/ingest wires it: stream
// keys from usher's Redis, viewers' tokens and edges' fleet token checked,
// streams announced to the ushers.
func startOrigin(t testing.TB, redisURL string, ushers []string) *ingest.Server {
	t.Helper()
	log := testLog(t)
	rdb, err := fleet.OpenRedis(redisURL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	access, err := cdn.NewAccess(tokenKeys, fleetToken)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ingest.DefaultConfig()
	cfg.RTMPAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Redis = rdb
	cfg.Ushers = ushers
	cfg.FleetToken = fleetToken
	cfg.RegisterInterval = 300 * time.Millisecond
	cfg.Streams = window.NewStreams()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := delivery.New(delivery.Config{Streams: cfg.Streams, Hop: "origin"}, log)
	t.Cleanup(d.Close)
	cfg.Delivery = cdn.OriginHandler(cfg.Streams, d.Serve, cdn.OriginOptions{
		Feed:   cdn.FeedOptions{Context: ctx, Hop: "origin"},
		Access: access,
	})
	s, err := ingest.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "origin", s.Run)
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("origin not listening")
	}
	if s.Addr() == "" {
		t.Fatal("origin failed to listen")
	}
	return s
}

// edgeNode is one running edge.
type edgeNode struct {
	*cdn.Edge
	id, dc, url string
}

// startEdge runs an edge reporting to the ushers. parent pins its parent;
// without one it asks usher (tree mode) and then tries fallbacks.
func startEdge(t testing.TB, id, dc string, ushers []string, parent string, fallbacks ...string) *edgeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := cdn.DefaultConfig()
	cfg.HTTP = ln.Addr().String()
	cfg.ID, cfg.DC = id, dc
	cfg.PublicURL = "http://" + ln.Addr().String()
	cfg.Ushers = ushers
	cfg.Parent, cfg.Fallbacks = parent, fallbacks
	cfg.FleetToken = fleetToken
	cfg.TokenKeys = tokenKeys
	cfg.CapacityMbps = capacityMbps
	cfg.ReadyTimeout = 4 * time.Second
	e, err := cdn.New(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	run(t, "edge "+id, func(ctx context.Context) error { return e.Serve(ctx, ln) })
	return &edgeNode{Edge: e, id: id, dc: dc, url: cfg.PublicURL}
}

// noFollow returns redirects instead of following them.
var noFollow = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// redirect asks an usher for a stream's playlist and returns the status
// and Location.
func redirect(t testing.TB, u *usherNode, stream string) (int, string) {
	t.Helper()
	resp, err := noFollow.Get(u.url + "/live/" + stream + "/index.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// redirectedTo returns the edge a redirect sends the viewer to, or nil.
func redirectedTo(loc string, edges []*edgeNode) *edgeNode {
	for _, e := range edges {
		if strings.HasPrefix(loc, e.url+"/") {
			return e
		}
	}
	return nil
}

// get fetches url and returns the status and body.
func get(t testing.TB, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// adminDo sends an admin request to an usher and returns the status and
// body.
func adminDo(t testing.TB, u *usherNode, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u.admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// adminList decodes an admin listing into v.
func adminList(t testing.TB, u *usherNode, path string, v any) {
	t.Helper()
	st, b := adminDo(t, u, http.MethodGet, path, "")
	if st != http.StatusOK {
		t.Fatalf("admin %s: %d %s", path, st, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// sign returns a playback token as usher would sign it.
func sign(t testing.TB, stream string, exp time.Time) string {
	t.Helper()
	s, err := token.NewSigner(tokenKeys, tokenKeyID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(stream, exp, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ffmpeg returns an ffmpeg command that prints errors only.
func ffmpeg(ctx context.Context, t testing.TB, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tooltest.Need(t, "ffmpeg"), append([]string{"-hide_banner", "-nostdin", "-v", "error"}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// play plays url with ffmpeg for seconds and fails the test on any error
// ffmpeg reports.
func play(t testing.TB, url, seconds string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := ffmpeg(ctx, t, "-i", url, "-t", seconds, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("ffmpeg playing %s: %v\n%s", url, err, out)
	}
}

// loader downloads a stream's newest segment from an edge in a loop until
// ctx ends, to give the edge egress that usher sees.
func loader(ctx context.Context, e *edgeNode, stream, tok string) {
	c := &http.Client{Timeout: 2 * time.Second}
	st := e.Streams()
	for ctx.Err() == nil {
		if w := st.Get(stream); w != nil {
			for _, tr := range w.Tracks() {
				segs := tr.Segments()
				if len(segs) < 2 {
					continue
				}
				// The newest complete segment, by the name the delivery
				// handler serves it under.
				seg := segs[len(segs)-2]
				kind := "video"
				if tr.ID() == 2 {
					kind = "audio"
				}
				name := window.ObjectName{Type: window.ObjSegment, Kind: kind, Epoch: seg.Init.Epoch, MSN: seg.MSN}
				if resp, err := c.Get(e.url + "/live/" + stream + "/" + name.String() + "?token=" + tok); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}
