package peers

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/cdn"
)

var (
	flagKbps   = flag.Int("peers.kbps", 2500, "bitrate of the clip the broadcaster publishes (encoded once with ffmpeg and kept in the temp dir)")
	flagInproc = flag.Bool("peers.inproc", false, "run the edge inside the test binary instead of as bin/cdn, so that -cpuprofile profiles it")
)

var (
	buildOnce sync.Once
	builtBins Binaries
	buildErr  error
	buildDir  string
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binaries builds livetree's commands once for the test binary's life.
func binaries(tb testing.TB) Binaries {
	tb.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "peers-bin-"); buildErr == nil {
			builtBins, buildErr = Build(buildDir)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtBins
}

// server is one HTTP server under measurement.
type server struct {
	name string
	base string               // http://host:port
	cpu  func() time.Duration // CPU time of its whole process tree so far
}

// live is a broadcaster publishing to a real origin, and one edge pulling
// the stream from that origin over the feed.
type live struct {
	origin  *Process
	edge    server
	edgePid int // for perf record -p; 0 when the edge runs in this process
	stream  string
}

// liveConfig sets up startLive.
type liveConfig struct {
	media  string        // clip the broadcaster loops
	window time.Duration // media the origin and the edge keep
}

// startLive starts origin, broadcaster and edge, and returns once the
// edge's video playlist lists parts of at least three segments.
func startLive(tb testing.TB, cfg liveConfig) *live {
	tb.Helper()
	bins := binaries(tb)
	win := cfg.window.String()
	origin, rtmp, err := Origin(bins.Ingest, "-window", win)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(origin.Stop)
	caster, stream, err := Broadcast(bins.Bench, rtmp, "fan", cfg.media, "-duration", "1h")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(caster.Stop)
	l := &live{origin: origin, stream: stream}
	parent := "http://" + origin.Addr
	// The stream must outlive the minutes in which only nginx or Varnish
	// are being loaded, and its parts must stay in the window until the
	// last run.
	edgeFlags := []string{"-idle-timeout", "1h", "-max-window", win}
	if *flagInproc {
		l.edge = inprocEdge(tb, parent, cfg.window)
	} else {
		p, err := Edge(bins.CDN, parent, edgeFlags...)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(p.Stop)
		l.edge = server{name: "livetree", base: "http://" + p.Addr, cpu: p.CPU}
		l.edgePid = p.Pid()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, status, _ := get(l.edge.base + l.dir() + "video.m3u8")
		if status == http.StatusOK && len(PartURIs(body)) >= 11 {
			return l
		}
		if time.Now().After(deadline) {
			tb.Fatalf("edge has no playlist with parts after 20 s (status %d)\norigin: %s\nbroadcaster: %s",
				status, origin.Output(), caster.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dir is the path of the stream's objects, ending in a slash.
func (l *live) dir() string { return "/live/" + l.stream + "/" }

// parts returns the paths of the complete parts the edge's video and audio
// playlists list now.
func (l *live) parts(tb testing.TB) []string {
	tb.Helper()
	var paths []string
	for _, pl := range []string{"video.m3u8", "audio.m3u8"} {
		body, status, err := get(l.edge.base + l.dir() + pl)
		if err != nil || status != http.StatusOK {
			tb.Fatalf("%s: status %d, %v", pl, status, err)
		}
		for _, uri := range PartURIs(body) {
			paths = append(paths, l.dir()+uri)
		}
	}
	return paths
}

// inprocEdge runs the edge in this process, for profiling.
func inprocEdge(tb testing.TB, parent string, window time.Duration) server {
	tb.Helper()
	cfg := cdn.DefaultConfig()
	cfg.HTTP = "127.0.0.1:0"
	cfg.Parent = parent
	cfg.ID = "bench-edge"
	cfg.IdleTimeout = time.Hour
	cfg.MaxWindow = window
	e, err := cdn.New(cfg, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Serve(ctx, ln)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
	return server{name: "livetree", base: "http://" + ln.Addr().String(), cpu: SelfCPU}
}

// client is the harness's own HTTP client, separate from the load.
var client = &http.Client{Timeout: 10 * time.Second}

// get fetches url and returns its body and status.
func get(url string) ([]byte, int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

// fetchAll fetches every path from base and fails unless each is a 200.
func fetchAll(tb testing.TB, base string, paths []string) map[string][]byte {
	tb.Helper()
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		body, status, err := get(base + p)
		if err != nil || status != http.StatusOK {
			tb.Fatalf("GET %s%s: status %d, %v", base, p, status, err)
		}
		out[p] = body
	}
	return out
}

// sameBytes fails unless every object got from a server is the edge's.
func sameBytes(tb testing.TB, who string, want, got map[string][]byte) {
	tb.Helper()
	for p, w := range want {
		if !bytes.Equal(w, got[p]) {
			tb.Fatalf("%s serves %d bytes for %s, the edge %d different ones", who, len(got[p]), p, len(w))
		}
	}
}

// clip returns the MPEG-TS clip of kbps the broadcaster loops, made once.
func clip(tb testing.TB, kbps int) string {
	tb.Helper()
	path, err := push.MakeTS(context.Background(), os.TempDir(), kbps, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// nginxRoot copies objects into a fresh folder on tmpfs, at their paths.
func nginxRoot(tb testing.TB, objects map[string][]byte) string {
	tb.Helper()
	root, err := os.MkdirTemp("/dev/shm", "livetree-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(root) })
	_ = os.Chmod(root, 0o755) // nginx's workers run as an unprivileged user
	for p, b := range objects {
		path := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// meanSize is the mean size of objects, in bytes.
func meanSize(objects map[string][]byte) float64 {
	var n int
	for _, b := range objects {
		n += len(b)
	}
	return float64(n) / float64(len(objects))
}

// String names the server for logs.
func (s server) String() string { return fmt.Sprintf("%s at %s", s.name, s.base) }
