package peers

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/arrival"
	"github.com/livetree/livetree/bench/play"
	"github.com/livetree/livetree/internal/tooltest"
)

var (
	flagViewers = flag.String("peers.viewers", "200,500,1000", "comma-separated viewer counts of BenchmarkViewerCPU")
	flagWatch   = flag.Duration("peers.watch", 30*time.Second, "length of each BenchmarkViewerCPU run, ramp included")
	flagAudio   = flag.Bool("peers.audio", false, "BenchmarkViewerCPU viewers fetch the audio rendition too, on a second connection")
)

// viewerRamp is the time over which a run's viewers arrive; the edge's CPU
// is measured from viewerSettle after the ramp to viewerTail before the end.
const (
	viewerRamp   = 5 * time.Second
	viewerSettle = 3 * time.Second
	viewerTail   = 2 * time.Second
)

// BenchmarkViewerCPU measures the CPU one edge (bin/cdn pulling a live
// ~2.5 Mbit/s stream of 200 ms parts from a real bin/ingest origin that
// bench push publishes to) spends per LL-HLS viewer at full cadence: every
// viewer is a bench/play LL-HLS player making a blocking playlist reload
// for each part and fetching every part, as bin/bench play does.
//
// The figure is the edge's CPU over the steady part of the run, in percent
// of one core, divided by the viewers (edge-%core/viewer); the edge's CPU
// with the stream pulled and no viewer is measured first and reported as
// idle-cores, and edge-%core/viewer-marginal leaves it out. The generator's
// own CPU (gen-cores), requests, errors, stalls and latency behind live show
// whether the viewers kept up. Run it with:
//
//	CI=true go test ./bench/peers -run '^$' -bench ViewerCPU -benchtime 1x -timeout 10m
//
// -args -peers.viewers, -peers.watch, -peers.audio and -peers.kbps change
// the load.
func BenchmarkViewerCPU(b *testing.B) {
	tooltest.Need(b, "ffmpeg")
	if *flagInproc {
		b.Fatal("-peers.inproc would count the generator as the edge; profile bin/cdn with perf instead")
	}
	var counts []int
	for _, s := range strings.Split(*flagViewers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-peers.viewers: bad count %q", s)
		}
		counts = append(counts, n)
	}
	if *flagWatch < viewerRamp+viewerSettle+viewerTail+5*time.Second {
		b.Fatalf("-peers.watch %v leaves under 5 s to measure", *flagWatch)
	}
	arrival.RaiseFileLimit()
	l := startLive(b, liveConfig{media: clip(b, *flagKbps), window: 30 * time.Second})
	const idleFor = 5 * time.Second
	cpu0 := l.edge.cpu()
	time.Sleep(idleFor)
	idle := (l.edge.cpu() - cpu0).Seconds() / idleFor.Seconds()
	b.Logf("edge (pid %d) idle with the stream pulled: %.3f cores", l.edgePid, idle)
	for _, n := range counts {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				watch(b, l, n, idle)
			}
		})
	}
}

// watch runs n viewers of l's edge and reports the edge's CPU per viewer.
func watch(b *testing.B, l *live, n int, idle float64) {
	cfg := play.DefaultConfig()
	cfg.URLs = []string{l.edge.base + "/live/{stream}/index.m3u8"}
	cfg.Streams = []string{l.stream}
	cfg.Viewers = n
	cfg.Arrival = play.Ramp
	cfg.Ramp = viewerRamp
	cfg.Duration = *flagWatch
	cfg.Audio = *flagAudio
	r, err := play.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	type out struct {
		res *play.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := r.Run(context.Background())
		done <- out{res, err}
	}()
	time.Sleep(viewerRamp + viewerSettle)
	active := r.Status().Active
	edge0, gen0, t0 := l.edge.cpu(), SelfCPU(), time.Now()
	time.Sleep(*flagWatch - viewerRamp - viewerSettle - viewerTail)
	edge, gen, span := l.edge.cpu()-edge0, SelfCPU()-gen0, time.Since(t0).Seconds()
	o := <-done
	if o.err != nil {
		b.Fatal(o.err)
	}
	res := o.res
	cores := edge.Seconds() / span
	perViewer := 100 * cores / float64(n)
	marginal := 100 * (cores - idle) / float64(n)
	// Requests and bytes over the measured span, from the time series.
	from, to := viewerRamp+viewerSettle, *flagWatch-viewerTail
	var reqs int64
	var gbps float64
	var samples int
	for _, s := range res.Series {
		if s.At > from && s.At <= to {
			reqs += s.Requests
			gbps += s.Gbps
			samples++
		}
	}
	if samples == 0 {
		b.Fatal("the run recorded no sample while the edge was measured")
	}
	secs := float64(samples) * cfg.Sample.Seconds()
	p99 := res.Latency.Quantile(0.99)
	b.Logf("viewers %d (%d active when measured): edge %.3f cores = %.4f%% of a core per viewer (%.4f%% over idle); generator %.2f cores; "+
		"%.0f req/s, %.0f Mb/s while measured; errors %d of %d, stall ratio %.4f, latency behind live p99 %v",
		n, active, cores, perViewer, marginal, gen.Seconds()/span,
		float64(reqs)/secs, 1000*gbps/float64(samples), res.Errors, res.Requests, res.StallRatio(), p99)
	b.ReportMetric(perViewer, "edge-%core/viewer")
	b.ReportMetric(marginal, "edge-%core/viewer-marginal")
	b.ReportMetric(cores, "edge-cores")
	b.ReportMetric(idle, "idle-cores")
	b.ReportMetric(gen.Seconds()/span, "gen-cores")
	b.ReportMetric(float64(reqs)/secs, "req/s")
	b.ReportMetric(float64(res.Errors), "errors")
	b.ReportMetric(res.StallRatio(), "stall-ratio")
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "latency-p99-ms")
	if active < int64(n) {
		b.Errorf("only %d of %d viewers were running when the edge's CPU was measured", active, n)
	}
}
