package play

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/livetree/livetree/bench/report"
)

// Result is what a run measured.
type Result struct {
	Config     Config
	Start, End time.Time

	Arrived, Joined, Started int64 // viewers that arrived, got a manifest, played
	Requests, Errors         int64
	Bytes                    int64
	Dials, Redirects         int64
	Resyncs                  int64
	Stalls                   int64
	Stalled, Watched         time.Duration

	// Latency is behind live per complete part; Playback is the
	// playhead's; Redirect, TTFB and Join are per viewer; StallTime per
	// stall.
	Latency, Playback, Redirect, TTFB, Join, StallTime *Snapshot
	// ByPlayer splits Latency and Playback by the players in the mix.
	ByPlayer map[Protocol]PlayerLatency

	ErrorsBy []classCount
	Edges    []EdgeCount // viewers served, most first
	Series   []Sample
	// CPU is the generator's own CPU time over the run.
	CPU time.Duration
	// ParseHits and ParseMisses count playlist, manifest and init bodies
	// found already parsed, and parsed.
	ParseHits, ParseMisses int64
}

// PlayerLatency is one player's share of the latency samples.
type PlayerLatency struct{ Latency, Playback *Snapshot }

// Elapsed is the run's wall time.
func (r *Result) Elapsed() time.Duration { return r.End.Sub(r.Start) }

// StallRatio is the share of viewing time spent stalled.
func (r *Result) StallRatio() float64 {
	if r.Watched <= 0 {
		return 0
	}
	return float64(r.Stalled) / float64(r.Watched)
}

// ErrorRate is the share of requests that failed.
func (r *Result) ErrorRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Requests)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// msOrNaN is d in milliseconds, or NaN when there were no samples.
func msOrNaN(s *Snapshot, q float64) float64 {
	if s.Count() == 0 {
		return math.NaN()
	}
	return ms(s.Quantile(q))
}

// Report renders the result for people and machines.
func (r *Result) Report(command []string) *report.Report {
	c := r.Config
	rep := &report.Report{
		Title:   fmt.Sprintf("bench play: %d viewers", c.Viewers),
		Mode:    "play",
		Command: command,
		Start:   r.Start,
		End:     r.End,
	}
	mix := make([]string, len(c.Mix))
	for i, s := range c.Mix {
		mix[i] = fmt.Sprintf("%s:%g", s.Proto, s.Weight)
	}
	rep.Param("viewers", fmt.Sprint(c.Viewers))
	rep.Param("players", strings.Join(mix, ","))
	rep.Param("arrival", fmt.Sprintf("%s over %v", c.Arrival, c.Ramp))
	rep.Param("duration", c.Duration.String())
	rep.Param("urls", strings.Join(c.URLs, " "))
	rep.Param("streams", summarize(c.Streams))
	rep.Param("start buffer", c.StartAfter.String())
	rep.Param("audio", fmt.Sprint(c.Audio))
	rep.Param("delta playlists", fmt.Sprint(c.Skip))
	rep.Param("seed", fmt.Sprint(c.Seed))

	secs := r.Elapsed().Seconds()
	peak := 0.0
	for _, s := range r.Series {
		peak = max(peak, s.Gbps)
	}
	add := func(key, name string, v float64, unit string) {
		rep.Add(report.Figure{Key: key, Name: name, Value: v, Unit: unit})
	}
	add("viewers", "viewers arrived", float64(r.Arrived), "")
	add("viewers_joined", "viewers that got a manifest", float64(r.Joined), "")
	add("viewers_started", "viewers whose playback started", float64(r.Started), "")
	add("latency_p50_ms", "latency behind live p50", msOrNaN(r.Latency, 0.5), "ms")
	add("latency_p90_ms", "latency behind live p90", msOrNaN(r.Latency, 0.9), "ms")
	add("latency_p99_ms", "latency behind live p99", msOrNaN(r.Latency, 0.99), "ms")
	add("latency_max_ms", "latency behind live max", ms(r.Latency.Max()), "ms")
	add("playback_latency_p50_ms", "playhead behind live p50", msOrNaN(r.Playback, 0.5), "ms")
	add("playback_latency_p99_ms", "playhead behind live p99", msOrNaN(r.Playback, 0.99), "ms")
	if len(c.Mix) > 1 {
		for _, sh := range c.Mix {
			pl, p := r.ByPlayer[sh.Proto], string(sh.Proto)
			add("latency_"+p+"_p50_ms", p+": latency behind live p50", msOrNaN(pl.Latency, 0.5), "ms")
			add("latency_"+p+"_p99_ms", p+": latency behind live p99", msOrNaN(pl.Latency, 0.99), "ms")
			add("playback_latency_"+p+"_p50_ms", p+": playhead behind live p50", msOrNaN(pl.Playback, 0.5), "ms")
		}
	}
	add("redirect_p50_ms", "redirect time p50", msOrNaN(r.Redirect, 0.5), "ms")
	add("redirect_p99_ms", "redirect time p99", msOrNaN(r.Redirect, 0.99), "ms")
	add("ttfb_p50_ms", "time to first byte p50", msOrNaN(r.TTFB, 0.5), "ms")
	add("ttfb_p99_ms", "time to first byte p99", msOrNaN(r.TTFB, 0.99), "ms")
	add("join_p50_ms", "arrival to playback p50", msOrNaN(r.Join, 0.5), "ms")
	add("join_p99_ms", "arrival to playback p99", msOrNaN(r.Join, 0.99), "ms")
	add("stall_ratio", "time stalled", r.StallRatio(), report.UnitFraction)
	add("stalls", "stalls", float64(r.Stalls), "")
	add("stall_p99_ms", "stall length p99", msOrNaN(r.StallTime, 0.99), "ms")
	add("resyncs", "jumps back to live", float64(r.Resyncs), "")
	add("throughput_gbps", "throughput, mean", float64(r.Bytes)*8/secs/1e9, "Gbps")
	add("throughput_peak_gbps", "throughput, peak second", peak, "Gbps")
	add("requests", "requests", float64(r.Requests), "")
	add("errors", "errors", float64(r.Errors), "")
	add("error_rate", "requests failed", r.ErrorRate(), report.UnitFraction)
	add("connections", "connections opened", float64(r.Dials), "")
	add("generator_cpu_cores", "generator CPU", r.CPU.Seconds()/secs, "cores")
	add("generator_cpu_s", "generator CPU time", r.CPU.Seconds(), "s")
	if len(r.Series) > 0 {
		host := 0.0
		for _, s := range r.Series {
			host += s.HostCPU
		}
		add("host_cpu_cores", fmt.Sprintf("machine CPU busy, mean (of %d)", runtime.NumCPU()), host/float64(len(r.Series)), "cores")
	}
	if n := r.ParseHits + r.ParseMisses; n > 0 {
		add("parse_shared", "playlist parses shared", float64(r.ParseHits)/float64(n), report.UnitFraction)
	}

	rep.Dists = append(rep.Dists, dist("latency", "Latency behind live (ingest to viewer)", r.Latency),
		dist("playback_latency", "Playhead behind live", r.Playback))
	if len(c.Mix) > 1 {
		for _, sh := range c.Mix {
			p := string(sh.Proto)
			rep.Dists = append(rep.Dists, dist("latency_"+p, p+": latency behind live", r.ByPlayer[sh.Proto].Latency))
		}
	}
	rep.Charts = append(rep.Charts, r.charts()...)
	rep.Tables = append(rep.Tables, r.tables()...)
	rep.Notes = []string{
		"Latency behind live is sampled when a part (LL-HLS), a chunk (LL-DASH) or a segment (plain HLS) has been received whole: now minus the ingest wall clock in the prft box at its start, so it includes the time the unit took to be produced (about a part, a frame or a segment). It is ingest-to-viewer latency on this machine's clock, sampled from the viewer's arrival at the live edge on; the media fetched to fill the start buffer is older by design.",
		"Playhead behind live adds the media buffered ahead of the playhead: the latency a viewer would see on screen.",
		"The buffer model starts playback once the start buffer is filled, plays in real time, and counts a stall whenever it runs dry until the start buffer is filled again. Time stalled is stalled time over viewing time, summed over viewers.",
		"No response carries a per-hop time, so edges are told apart by X-Livetree-Hop (or the redirect host for an overflow CDN) only.",
		"Generator CPU is this process's own user+system time. Machine CPU is every process's, from /proc/stat: the servers under test and anything else running. When it nears the core count, the machine rather than the server under test was the limit.",
	}
	return rep
}

// dist turns a histogram into a CDF in milliseconds.
func dist(key, title string, s *Snapshot) report.Dist {
	d := report.Dist{Key: key, Title: title, Unit: "ms"}
	s.Buckets(func(v time.Duration, n uint64) {
		d.Values = append(d.Values, ms(v))
		d.Weights = append(d.Weights, float64(n))
	})
	return d
}

func (r *Result) charts() []report.Chart {
	at := func(s Sample) float64 { return s.At.Seconds() }
	series := func(name string, f func(Sample) float64) report.Series {
		out := report.Series{Name: name}
		for _, s := range r.Series {
			out.Points = append(out.Points, report.Point{X: at(s), Y: f(s)})
		}
		return out
	}
	latency := report.Chart{Key: "latency", Title: "Latency behind live", XUnit: "s", YUnit: "ms", Series: []report.Series{
		series("p50", func(s Sample) float64 { return ms(s.P50) }),
		series("p99", func(s Sample) float64 { return ms(s.P99) }),
	}}
	throughput := report.Chart{Key: "throughput", Title: "Throughput received", XUnit: "s", YUnit: "Gbps", Series: []report.Series{
		series("Gbps", func(s Sample) float64 { return s.Gbps }),
	}}
	viewers := report.Chart{Key: "viewers", Title: "Viewers", XUnit: "s", YUnit: "viewers", Series: []report.Series{
		series("running", func(s Sample) float64 { return float64(s.Active) }),
		series("playing", func(s Sample) float64 { return float64(s.Playing) }),
		series("stalled", func(s Sample) float64 { return float64(s.Stalled) }),
	}}
	names := map[string]bool{}
	for _, s := range r.Series {
		for k := range s.Edges {
			names[k] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	edges := report.Chart{Key: "edges", Title: "Viewers per edge", XUnit: "s", YUnit: "viewers", Stacked: true}
	for _, name := range sorted {
		edges.Series = append(edges.Series, series(name, func(s Sample) float64 { return float64(s.Edges[name]) }))
	}
	cpu := report.Chart{Key: "cpu", Title: "CPU: the generator and the whole machine", XUnit: "s", YUnit: "cores", Series: []report.Series{
		series("generator", func(s Sample) float64 { return s.CPU }),
		series("machine", func(s Sample) float64 { return s.HostCPU }),
	}}
	return []report.Chart{latency, throughput, viewers, edges, cpu}
}

func (r *Result) tables() []report.Table {
	var out []report.Table
	errs := report.Table{Title: "Errors by class", Columns: []string{"class", "count", "share of requests"}}
	for _, e := range r.ErrorsBy {
		share := 0.0
		if r.Requests > 0 {
			share = float64(e.N) / float64(r.Requests)
		}
		errs.Rows = append(errs.Rows, []string{e.Class, fmt.Sprint(e.N), report.FormatValue(share, report.UnitFraction)})
	}
	if len(errs.Rows) > 0 {
		out = append(out, errs)
	}
	edges := report.Table{Title: "Viewers by serving edge", Columns: []string{"edge", "viewers served"}}
	for _, e := range r.Edges {
		edges.Rows = append(edges.Rows, []string{e.Edge, fmt.Sprint(e.Viewers)})
	}
	return append(out, edges)
}

// summarize lists a few names and counts the rest.
func summarize(names []string) string {
	if len(names) <= 4 {
		return strings.Join(names, ",")
	}
	return fmt.Sprintf("%s … %s (%d)", strings.Join(names[:3], ","), names[len(names)-1], len(names))
}
