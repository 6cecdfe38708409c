package sim

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/livetree/livetree/bench/progress"
	"github.com/livetree/livetree/bench/report"
)

// Exit statuses of Main.
const (
	ExitOK     = 0
	ExitFailed = 1 // a limit was missed, an invariant broke, or the run was interrupted
	ExitUsage  = 2
)

// Main is the "bench sim" command: it parses args, runs the simulation
// with live progress on stderr, prints the summary to stdout, writes
// DIR/sim.json and DIR/sim.html when -out is given, and returns the exit
// status: non-zero when a figure misses its limit.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("bench sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for sim.json and sim.html (none if empty)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	bindFlags(fs, &cfg)
	var gate report.Gate
	gate.Max(fs, "max-overflow-share", "overflow_share", "fail when the overflow CDN carries more than this share of viewer bytes (0..1)")
	gate.Max(fs, "max-edge-util", "edge_util_max", "fail when an edge's utilisation ever exceeds this (0..1)")
	gate.Max(fs, "max-surge-grow", "surge_grow_s", "fail when a surge's tree takes longer than this many seconds to grow")
	gate.Max(fs, "max-surge-lag", "surge_lag_s", "fail when a surge's tree trails its demand by more than this many seconds")
	gate.Min(fs, "min-sim-speed", "sim_speed", "fail when fewer simulated seconds than this pass per wall second")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench sim [flags]\n\nSimulates the fleet on a virtual clock with usher's placement and tree planner.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench sim: unexpected arguments %q\n", fs.Args())
		return ExitUsage
	}
	s, err := New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench sim: %v\n", err)
		return ExitUsage
	}

	var p *progress.Progress
	if !*quiet {
		p = progress.New(stderr, 250*time.Millisecond)
		p.Update(progressLine(s, cfg.Duration))
	}
	start := time.Now()
	res, runErr := s.Run(ctx)
	end := time.Now()
	if p != nil {
		p.Stop()
	}

	rep := res.Report(append([]string{"bench", "sim"}, args...), start, end)
	status := ExitOK
	if err := gate.Apply(rep); err != nil {
		fmt.Fprintf(stderr, "bench sim: %v\n", err)
		status = ExitUsage
	}
	failed := rep.Check()
	if err := report.WriteText(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "bench sim: %v\n", err)
		status = ExitFailed
	}
	if *out != "" {
		jsonPath, htmlPath, err := report.WriteFiles(*out, "sim", rep)
		if err != nil {
			fmt.Fprintf(stderr, "bench sim: %v\n", err)
			status = ExitFailed
		} else {
			fmt.Fprintf(stdout, "\nwrote %s and %s\n", jsonPath, htmlPath)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "bench sim: stopped after %s of virtual time: %v\n", time.Duration(res.Seconds)*Tick, runErr)
		status = ExitFailed
	}
	for _, f := range failed {
		fmt.Fprintf(stderr, "bench sim: FAIL %s = %s, limit %s\n", f.Name, report.FormatValue(f.Value, f.Unit), f.Limit.Format(f.Unit))
	}
	if len(failed) > 0 && status == ExitOK {
		status = ExitFailed
	}
	return status
}

// bindFlags registers the Config's flags on fs with cfg's values as
// defaults.
func bindFlags(fs *flag.FlagSet, cfg *Config) {
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; a seed always gives the same run")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "virtual time to simulate")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "virtual time to settle the fleet before recording")
	fs.IntVar(&cfg.Edges, "edges", cfg.Edges, "edge servers")
	fs.IntVar(&cfg.DCs, "dcs", cfg.DCs, "datacenters")
	fs.Float64Var(&cfg.EdgeMbps, "edge-mbps", cfg.EdgeMbps, "egress capacity of one edge, Mbps")
	fs.IntVar(&cfg.Streams, "streams", cfg.Streams, "live streams")
	fs.Float64Var(&cfg.Zipf, "zipf", cfg.Zipf, "popularity exponent: stream k draws 1/k^zipf of the audience")
	fs.DurationVar(&cfg.MeanWatch, "mean-watch", cfg.MeanWatch, "mean viewing time")
	fs.Float64Var(&cfg.MeanGbps, "mean-gbps", cfg.MeanGbps, "mean demand of the daily curve, Gbps")
	fs.Float64Var(&cfg.PeakGbps, "peak-gbps", cfg.PeakGbps, "daily peak demand, Gbps")
	fs.Float64Var(&cfg.PeakHour, "peak-hour", cfg.PeakHour, "hour of the daily peak")
	fs.Float64Var(&cfg.StartHour, "start-hour", cfg.StartHour, "hour of day the run starts at")
	fs.Float64Var(&cfg.EventGbps, "event-gbps", cfg.EventGbps, "total demand at the event's peak, Gbps (0: no event)")
	fs.DurationVar(&cfg.EventAt, "event-at", cfg.EventAt, "when the event starts, from the run's start")
	fs.DurationVar(&cfg.EventLength, "event-length", cfg.EventLength, "how long the event lasts")
	fs.IntVar(&cfg.SurgeViewers, "surge-viewers", cfg.SurgeViewers, "viewers a surging stream gains")
	fs.DurationVar(&cfg.SurgeRamp, "surge-ramp", cfg.SurgeRamp, "time a surge takes to arrive")
	fs.DurationVar(&cfg.SurgeHold, "surge-hold", cfg.SurgeHold, "time a standalone surge stays")
	fs.IntVar(&cfg.Surges, "surges", cfg.Surges, "standalone surges spread over the run, besides the event's")
	fs.DurationVar(&cfg.Refresh, "refresh", cfg.Refresh, "usher snapshot refresh interval (divides 1s)")
	fs.DurationVar(&cfg.PlanEvery, "plan-every", cfg.PlanEvery, "tree planner interval")
	fs.DurationVar(&cfg.PlanSweep, "plan-sweep", cfg.PlanSweep, "longest a stream with viewers goes unplanned")
	fs.BoolVar(&cfg.PlanAllStreams, "plan-all", cfg.PlanAllStreams, "plan every stream at every plan, as the usher server does (slower)")
	fs.IntVar(&cfg.MaxDecisions, "max-decisions", cfg.MaxDecisions, "decisions per stream per refresh before arrivals are grouped")
	fs.DurationVar(&cfg.Sample, "sample", cfg.Sample, "time-series resolution (0: about 1,440 points)")
}

// progressLine renders the live status: virtual time, viewers, traffic,
// overflow share and decisions per wall second since the last line. It
// runs on the progress goroutine and reads only Sim.Status.
func progressLine(s *Sim, total time.Duration) func() string {
	last, lastAt := int64(0), time.Now()
	return func() string {
		st := s.Status()
		now := time.Now()
		rate := float64(st.Decisions-last) / now.Sub(lastAt).Seconds()
		last, lastAt = st.Decisions, now
		return fmt.Sprintf("sim %s / %s  %s viewers  %.1f Gbps served + %.1f overflow  overflow %.1f %% of bytes  %s decisions/s",
			hms(st.Elapsed), hms(total), report.FormatValue(float64(st.Viewers), ""), st.ServedGbps, st.OverflowGbps,
			100*st.OverflowShare, report.FormatValue(float64(int64(rate)), ""))
	}
}

func hms(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
}
