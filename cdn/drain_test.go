package cdn

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// clientFrom returns an HTTP client whose connections come from a given
// loopback address, so a test can be two different viewers.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true},
		Timeout:   5 * time.Second,
	}
}

func status(t testing.TB, c *http.Client, method, url, auth string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestDrain drains an edge through the admin endpoint while a player
// watches: the player goes on, new viewers are turned away, and the edge
// stops once the player has left.
func TestDrain(t *testing.T) {
	o := sharedOrigin(t)
	cfg := testConfig("D", o.url)
	cfg.AdminToken = "secret"
	cfg.ViewerWindow = 500 * time.Millisecond
	cfg.DrainTimeout = 10 * time.Second
	e, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- e.Serve(context.Background(), ln) }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pl := newPlayer(t, url, o, "s")
	played := make(chan struct{})
	go func() {
		defer close(played)
		pl.run(ctx)
	}()
	waitFor(t, 5*time.Second, "3 parts played", func() bool {
		pl.mu.Lock()
		defer pl.mu.Unlock()
		return pl.parts >= 3
	})

	viewer, stranger := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	for _, tc := range []struct{ name, auth string }{
		{"no token", ""}, {"wrong token", "Bearer nope"}, {"not bearer", "Basic secret"},
	} {
		if got := status(t, viewer, http.MethodPost, url+"/admin/drain", tc.auth); got != http.StatusUnauthorized {
			t.Errorf("drain with %s: %d, want 401", tc.name, got)
		}
	}
	if got := status(t, viewer, http.MethodGet, url+"/admin/drain", "Bearer secret"); got != http.StatusMethodNotAllowed {
		t.Errorf("GET drain: %d, want 405", got)
	}
	if e.Draining() {
		t.Fatal("draining before an authorised request")
	}
	if got := status(t, viewer, http.MethodPost, url+"/admin/drain", "Bearer secret"); got != http.StatusAccepted {
		t.Fatalf("drain: %d, want 202", got)
	}
	if l := e.Load(); l.State != StateDraining {
		t.Errorf("load state %q while draining", l.State)
	}
	init := "/live/s/" + initURI(t, url)
	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		want   int
	}{
		{"healthz", viewer, "/healthz", http.StatusServiceUnavailable},
		{"multivariant", viewer, "/live/s/index.m3u8", http.StatusServiceUnavailable},
		{"new viewer playlist", stranger, "/live/s/video.m3u8", http.StatusServiceUnavailable},
		{"new viewer mpd", stranger, "/live/s/manifest.mpd", http.StatusServiceUnavailable},
		{"viewer playlist", viewer, "/live/s/video.m3u8", http.StatusOK},
		{"object", stranger, init, http.StatusOK},
		{"child edge", viewer, "/feed/s", http.StatusServiceUnavailable},
	} {
		if got := status(t, tc.client, http.MethodGet, url+tc.path, ""); got != tc.want {
			t.Errorf("%s while draining: %d, want %d", tc.name, got, tc.want)
		}
	}
	time.Sleep(time.Second)
	select {
	case err := <-served:
		t.Fatalf("edge stopped with a viewer left: %v", err)
	default:
	}
	cancel()
	<-played
	pl.check(t, 5)
	left := time.Now()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("drained %v after the last viewer left", time.Since(left))
	case <-time.After(5 * time.Second):
		t.Fatal("edge still serving 5s after the last viewer left")
	}
}

// initURI returns the video init segment's name from the media playlist.
func initURI(t testing.TB, base string) string {
	t.Helper()
	body, status, err := fetch(base + "/live/s/video.m3u8")
	if err != nil || status != http.StatusOK {
		t.Fatalf("playlist: %d %v", status, err)
	}
	for _, uri := range objectURIs(body) {
		if strings.HasSuffix(uri, "-init.mp4") {
			return uri
		}
	}
	t.Fatal("no init segment in the playlist")
	return ""
}

// TestSigterm drains the cdn binary with SIGTERM: it exits 0 once its
// viewers have left.
func TestSigterm(t *testing.T) {
	o := sharedOrigin(t)
	bin := buildEdge(t)
	cmd := exec.Command(bin, "-http", "127.0.0.1:0", "-parent", o.url, "-id", "T", "-viewer-window", "300ms")
	cmd.Env = append(os.Environ(), "LIVETREE_DRAIN_TIMEOUT=5s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	url := "http://" + listenLine(t, sc)
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	if _, st, err := fetch(url + "/live/s/index.m3u8"); err != nil || st != http.StatusOK {
		t.Fatalf("playlist: %d %v", st, err)
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
		t.Logf("exited %v after SIGTERM", time.Since(sent))
	case <-time.After(4 * time.Second):
		t.Fatal("still running 4s after SIGTERM")
	}
}
