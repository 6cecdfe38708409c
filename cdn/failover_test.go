package cdn

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var (
	buildOnce sync.Once
	buildDir  string
	builtBin  string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildEdge builds the cdn binary once for the test binary's life.
func buildEdge(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		if buildDir, buildErr = os.MkdirTemp("", "cdn-test-"); buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "cdn")
		out, err := exec.Command(goBin, "build", "-o", builtBin, "github.com/livetree/livetree/cdn/cmd/cdn").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// edgeProcess runs the cdn binary as a parent of the edge under test, and
// returns its URL and the process.
func edgeProcess(t testing.TB, bin string, args ...string) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-http", "127.0.0.1:0", "-log-level", "info"}, args...)...)
	cmd.Env = append(os.Environ(), "LIVETREE_ADMIN_TOKEN=secret")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-exited
	})
	sc := bufio.NewScanner(stderr)
	addr := listenLine(t, sc)
	go func() {
		// Keep the pipe drained so the process never blocks on logging.
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		close(exited)
	}()
	return "http://" + addr, cmd.Process
}

// switchParent is a parent that serves the origin's feed until told to
// answer every request with a status instead, cutting the feeds it serves.
type switchParent struct {
	url    string
	status atomic.Int32
	cancel context.CancelFunc
}

func startSwitchParent(t testing.TB, o *origin) *switchParent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &switchParent{cancel: cancel}
	fh := FeedHandler(o.streams, FeedOptions{Context: ctx, Hop: "switch"})
	srv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		if s := p.status.Load(); s != 0 {
			rc.Error("fault", int(s))
			return
		}
		fh(rc)
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.url = "http://" + ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		cancel()
		_ = srv.Shutdown()
	})
	return p
}

// currentParent returns the parent of the edge's open feed for a stream.
func currentParent(e *Edge, stream string) string {
	e.mu.RLock()
	p := e.pulls[stream]
	e.mu.RUnlock()
	if p == nil || e.stats.Upstreams.Load() == 0 {
		return ""
	}
	if s := p.parent.Load(); s != nil {
		return *s
	}
	return ""
}

// TestFailover makes B's parent fail in each way a parent fails while an
// LL-HLS player plays from B: B must move to its fallback, the origin,
// within a second, and the player must see every part, intact.
func TestFailover(t *testing.T) {
	o := sharedOrigin(t)
	bin := buildEdge(t)
	process := func(sig syscall.Signal) func(t *testing.T) (string, func()) {
		return func(t *testing.T) (string, func()) {
			url, proc := edgeProcess(t, bin, "-parent", o.url, "-id", "A-"+sig.String())
			return url, func() { _ = proc.Signal(sig) }
		}
	}
	status := func(code int) func(t *testing.T) (string, func()) {
		return func(t *testing.T) (string, func()) {
			p := startSwitchParent(t, o)
			return p.url, func() {
				p.status.Store(int32(code))
				p.cancel()
			}
		}
	}
	for _, tc := range []struct {
		name   string
		parent func(t *testing.T) (url string, fault func())
	}{
		{"kill", process(syscall.SIGKILL)},
		{"stop", process(syscall.SIGSTOP)},
		{"503", status(http.StatusServiceUnavailable)},
		{"404", status(http.StatusNotFound)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, fault := tc.parent(t)
			b, bURL := startEdge(t, testConfig("B-"+tc.name, parent, o.url))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pl := newPlayer(t, bURL, o, "s")
			done := make(chan struct{})
			go func() {
				defer close(done)
				pl.run(ctx)
			}()
			waitFor(t, 5*time.Second, "5 parts played", func() bool {
				pl.mu.Lock()
				defer pl.mu.Unlock()
				return pl.parts >= 5
			})
			if got := currentParent(b, "s"); got != parent {
				t.Fatalf("B pulls from %q, want %q", got, parent)
			}
			t0 := time.Now()
			fault()
			waitFor(t, 3*time.Second, "B on the origin", func() bool { return currentParent(b, "s") == o.url })
			took := time.Since(t0)
			if took > time.Second {
				t.Errorf("B re-parented after %v, want within 1s", took)
			}
			time.Sleep(1500 * time.Millisecond)
			cancel()
			<-done
			pl.check(t, 10)
			sameMedia(t, o.streams.Get("s"), b.Streams().Get("s"))
			t.Logf("re-parented in %v; failovers %d", took, b.stats.Failovers.Load())
		})
	}
}

// TestBadParent gives B a parent that never works: B must serve its first
// viewer from the fallback within a second.
func TestBadParent(t *testing.T) {
	o := sharedOrigin(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name   string
		parent func(t *testing.T) string
	}{
		{"refused", func(*testing.T) string { return refused }},
		{"503", statusServer(http.StatusServiceUnavailable)},
		{"404", statusServer(http.StatusNotFound)},
		{"redirect", statusServer(http.StatusFound)},
		{"not a feed", statusServer(http.StatusOK)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := tc.parent(t)
			b, bURL := startEdge(t, testConfig("B-bad-"+tc.name, parent, o.url))
			t0 := time.Now()
			body, status, err := fetch(bURL + "/live/s/index.m3u8")
			took := time.Since(t0)
			if err != nil || status != http.StatusOK {
				t.Fatalf("first request: %d %v %s", status, err, body)
			}
			if took > time.Second {
				t.Errorf("first request took %v, want under 1s", took)
			}
			if got := currentParent(b, "s"); got != o.url {
				t.Errorf("B pulls from %q, want the origin", got)
			}
		})
	}
}

// statusServer starts a server that answers every request with a status
// (and, for 302, a Location pointing at itself).
func statusServer(code int) func(t *testing.T) string {
	return func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		srv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
			if code == http.StatusFound {
				rc.Response.Header.Set("Location", url+"/elsewhere")
			}
			rc.SetStatusCode(code)
			rc.SetBodyString("no feed here")
		}}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Shutdown() })
		return url
	}
}

// waitFor polls cond until it holds, or fails the test after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
