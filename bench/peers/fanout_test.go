package peers

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/arrival"
	"github.com/livetree/livetree/internal/tooltest"
)

var (
	flagFanoutConns = flag.String("peers.conns", "100,1000,5000", "comma-separated client counts of BenchmarkFanout")
	flagFanoutDur   = flag.Duration("peers.dur", 8*time.Second, "length of each measured wrk run of BenchmarkFanout")
)

// BenchmarkFanout measures one edge (bin/cdn pulling a live stream from a
// real bin/ingest origin that bench push publishes to) serving the stream's
// complete LL-HLS parts to N concurrent keep-alive clients, side by side
// with nginx serving the same bytes from tmpfs with sendfile and Varnish
// (malloc storage) as a warm pull-through cache in front of the same
// origin. The load is wrk -t2 with every connection walking the list of
// parts the edge's playlists list after warm-up.
//
// The figure is payload bytes delivered per CPU-second the server's process
// tree spends in the measured run (<server>-MB/cpu-s), and its ratio to
// nginx's and Varnish's (vs-nginx, vs-varnish); req/s, p99 and errors come
// from wrk. Every server gets an unmeasured 2 s run at the same N first, so
// that thread pools and caches are warm. Run it with:
//
//	CI=true go test ./bench/peers -run '^$' -bench Fanout -benchtime 1x -timeout 10m
//
// -args -peers.conns, -peers.dur and -peers.kbps change the load, and
// -peers.inproc runs the edge inside the test binary so that -cpuprofile
// shows where its CPU goes.
func BenchmarkFanout(b *testing.B) {
	tooltest.Need(b, "nginx")
	tooltest.Need(b, "varnishd")
	tooltest.Need(b, "wrk")
	tooltest.Need(b, "ffmpeg")
	var conns []int
	for _, s := range strings.Split(*flagFanoutConns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-peers.conns: bad count %q", s)
		}
		conns = append(conns, n)
	}
	limit := arrival.RaiseFileLimit()
	for _, n := range conns {
		if n+512 > limit {
			b.Fatalf("%d connections need more than the %d open files allowed", n, limit)
		}
	}
	// The origin and the edge keep enough media that the parts taken after
	// warm-up stay in their windows until the last run: three servers, each
	// loaded for 2 s plus the measured run at every N.
	runs := time.Duration(3*len(conns)) * (2*time.Second + *flagFanoutDur + time.Second)
	f := newFanout(b, clip(b, *flagKbps), max(5*time.Minute, runs+time.Minute))
	b.Logf("%d parts, mean %.0f bytes; edge %s (pid %d), nginx %s, varnish %s",
		len(f.paths), f.mean, f.servers[0].base, f.live.edgePid, f.servers[1].base, f.servers[2].base)
	for _, n := range conns {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f.round(b, n, *flagFanoutDur)
			}
		})
	}
}

// fanout holds the three servers of BenchmarkFanout and the parts they
// all serve.
type fanout struct {
	live    *live
	servers []server // livetree, nginx, varnish
	varnish string   // Varnish's working folder, for varnishstat
	paths   []string
	mean    float64 // mean part size in bytes
	dir     string  // wrk's script folder
}

// newFanout starts the live stream, nginx and Varnish, copies the edge's
// current parts to nginx's root, fetches each once through Varnish, and
// checks that all three serve the same bytes.
func newFanout(tb testing.TB, media string, window time.Duration) *fanout {
	tb.Helper()
	l := startLive(tb, liveConfig{media: media, window: window})
	f := &fanout{live: l, paths: l.parts(tb), dir: tb.TempDir()}
	objects := fetchAll(tb, l.edge.base, f.paths)
	f.mean = meanSize(objects)
	sameBytes(tb, "the origin", objects, fetchAll(tb, "http://"+l.origin.Addr, f.paths))

	ngx, err := Nginx(tb.TempDir(), nginxRoot(tb, objects), 2)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ngx.Stop)
	f.varnish = tb.TempDir()
	vsh, err := Varnish(f.varnish, l.origin.Addr, 256)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(vsh.Stop)
	f.servers = []server{
		l.edge,
		{name: "nginx", base: "http://" + ngx.Addr, cpu: ngx.CPU},
		{name: "varnish", base: "http://" + vsh.Addr, cpu: vsh.CPU},
	}
	sameBytes(tb, "nginx", objects, fetchAll(tb, f.servers[1].base, f.paths))
	sameBytes(tb, "varnish", objects, fetchAll(tb, f.servers[2].base, f.paths)) // the fill
	sameBytes(tb, "varnish", objects, fetchAll(tb, f.servers[2].base, f.paths)) // hits
	return f
}

// result is one server's measured run.
type result struct {
	wrk     WrkResult
	cpu     time.Duration
	elapsed time.Duration
	misses  int64 // Varnish cache misses during the run; -1 elsewhere
}

// perCPU is payload bytes delivered per CPU-second of the server.
func (r result) perCPU(mean float64) float64 {
	return r.wrk.Requests * r.elapsed.Seconds() * mean / r.cpu.Seconds()
}

// round loads each server with n connections and reports the figures.
func (f *fanout) round(b *testing.B, n int, d time.Duration) {
	ctx := context.Background()
	walk := Walk{Paths: f.paths, Threads: 2, Conns: n, Timeout: 10 * time.Second}
	res := make([]result, len(f.servers))
	for i, s := range f.servers {
		walk.Base = s.base
		walk.Duration = 2 * time.Second
		if _, err := walk.Run(ctx, f.dir); err != nil {
			b.Fatal(err)
		}
		walk.Duration = d
		miss0 := f.misses(s)
		cpu0, t0 := s.cpu(), time.Now()
		w, err := walk.Run(ctx, f.dir)
		if err != nil {
			b.Fatal(err)
		}
		res[i] = result{wrk: w, cpu: s.cpu() - cpu0, elapsed: time.Since(t0), misses: f.misses(s) - miss0}
		if miss0 < 0 {
			res[i].misses = -1
		}
	}
	for i, s := range f.servers {
		r := res[i]
		b.Logf("%-8s c=%-5d %8.0f req/s %6.2f Gb/s payload  p99 %-8v errors %-5d cpu %5.2f cores  %7.1f MB/cpu-s  misses %d",
			s.name, n, r.wrk.Requests, r.wrk.Requests*f.mean*8/1e9, r.wrk.P99, r.wrk.Errors,
			r.cpu.Seconds()/r.elapsed.Seconds(), r.perCPU(f.mean)/1e6, r.misses)
		b.ReportMetric(r.perCPU(f.mean)/1e6, s.name+"-MB/cpu-s")
		b.ReportMetric(r.wrk.Requests, s.name+"-req/s")
		b.ReportMetric(float64(r.wrk.P99)/float64(time.Millisecond), s.name+"-p99-ms")
		b.ReportMetric(float64(r.wrk.Errors), s.name+"-errors")
	}
	b.ReportMetric(res[0].perCPU(f.mean)/res[1].perCPU(f.mean), "vs-nginx")
	b.ReportMetric(res[0].perCPU(f.mean)/res[2].perCPU(f.mean), "vs-varnish")
	if res[2].misses > 0 {
		b.Errorf("varnish missed its cache %d times during the run", res[2].misses)
	}
}

// misses returns Varnish's cache misses so far when s is Varnish, else -1.
func (f *fanout) misses(s server) int64 {
	if s.name != "varnish" {
		return -1
	}
	out, err := exec.Command("varnishstat", "-n", f.varnish+"/varnish", "-1", "-f", "MAIN.cache_miss").Output()
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		return -1
	}
	v, _ := strconv.ParseInt(fields[1], 10, 64)
	return v
}
