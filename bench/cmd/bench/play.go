package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/livetree/livetree/bench/play"
	"github.com/livetree/livetree/bench/progress"
	"github.com/livetree/livetree/bench/report"
	"github.com/livetree/livetree/internal/settings"
)

// playMain is "bench play": simulated viewers of live streams, with live
// progress on stderr, the summary on stdout, and DIR/play.json and
// DIR/play.html with -out. It exits 1 when a limit flag is exceeded.
func playMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := play.DefaultConfig()
	fs := flag.NewFlagSet("bench play", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "http://127.0.0.1:8080/live/{stream}/index.m3u8",
		"comma-separated entry URLs: usher (followed through its 302), an edge or the origin; {stream} is each stream name")
	streams := fs.String("streams", "bench0", "comma-separated stream names; name{0..9} expands to a range")
	players := fs.String("players", "llhls", "player mix: llhls, dash, segments, with optional weights (llhls:8,dash:1,segments:1)")
	arrival := fs.String("arrival", string(cfg.Arrival), "arrival pattern over -ramp: all, ramp or flash (a flash crowd)")
	out := fs.String("out", "", "directory for play.json and play.html (none if empty)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	cpuProfile := fs.String("cpuprofile", "", "write the generator's CPU profile to this file")
	procs := fs.Int("procs", 0, "processors the generator runs on (GOMAXPROCS; 0: as the environment says); on a machine shared with the server, 1 leaves the rest to it")
	fs.IntVar(&cfg.Viewers, "viewers", cfg.Viewers, "number of viewers")
	fs.DurationVar(&cfg.Ramp, "ramp", cfg.Ramp, "time over which viewers arrive")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "whole run, from the first arrival")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the arrival order")
	fs.DurationVar(&cfg.StartAfter, "start-buffer", cfg.StartAfter, "media buffered before playback starts, and resumes after a stall")
	fs.BoolVar(&cfg.Audio, "audio", cfg.Audio, "fetch the audio rendition too, on a second connection per viewer")
	fs.BoolVar(&cfg.Skip, "skip", cfg.Skip, "LL-HLS viewers ask for delta playlists (_HLS_skip=YES)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "bound on one request, blocking ones included")
	fs.DurationVar(&cfg.Retry, "retry", cfg.Retry, "wait after an error")
	fs.DurationVar(&cfg.Sample, "sample", cfg.Sample, "time-series resolution")
	var gate report.Gate
	gate.Max(fs, "max-p99-latency", "latency_p99_ms", "fail when the p99 latency behind live exceeds this many milliseconds")
	gate.Max(fs, "max-stall-ratio", "stall_ratio", "fail when viewers spend more than this share of their time stalled (0..1)")
	gate.Max(fs, "max-error-rate", "error_rate", "fail when more than this share of requests fail (0..1)")
	gate.Max(fs, "max-join-p99", "join_p99_ms", "fail when the p99 time from arrival to playback exceeds this many milliseconds")
	gate.Max(fs, "max-generator-cpu", "generator_cpu_cores", "fail when the generator itself uses more than this many cores")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench play [flags]\n\nRuns simulated low-latency viewers against usher, an edge or the origin.\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *procs < 0 {
		fmt.Fprintf(stderr, "bench play: -procs %d is negative\n", *procs)
		return exitUsage
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	cfg.URLs = settings.List(*urls)
	cfg.Arrival = play.Pattern(*arrival)
	var err error
	if cfg.Streams, err = play.ExpandStreams(*streams); err == nil {
		cfg.Mix, err = play.ParseMix(*players)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench play: %v\n", err)
		return exitUsage
	}
	r, err := play.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench play: %v\n", err)
		return exitUsage
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench play: %v\n", err)
			return exitUsage
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	var p *progress.Progress
	if !*quiet {
		p = progress.New(stderr, 500*time.Millisecond)
		p.Update(playLine(r, cfg))
	}
	res, runErr := r.Run(ctx)
	if p != nil {
		p.Stop()
	}
	rep := res.Report(append([]string{"bench", "play"}, args...))
	return finish(rep, &gate, "play", *out, runErr, stdout, stderr)
}

// playLine renders the live status from the runner's latest sample.
func playLine(r *play.Runner, cfg play.Config) func() string {
	return func() string {
		s := r.Status()
		return fmt.Sprintf("play %s  %s/%s viewers  %s playing  %s stalled  %.2f Gbps  p99 %s  %s errors  generator %.2f cores",
			s.Elapsed.Round(time.Second), report.FormatValue(float64(s.Active), ""), report.FormatValue(float64(cfg.Viewers), ""),
			report.FormatValue(float64(s.Playing), ""), report.FormatValue(float64(s.Stalled), ""), s.Gbps,
			s.P99.Round(time.Millisecond), report.FormatValue(float64(s.ErrorsTotal), ""), s.CPU)
	}
}

// finish applies the limit flags, prints the summary, writes the files,
// and returns the exit status of a load-test mode.
func finish(rep *report.Report, gate *report.Gate, mode, out string, runErr error, stdout, stderr io.Writer) int {
	status := 0
	if err := gate.Apply(rep); err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", mode, err)
		status = exitUsage
	}
	failed := rep.Check()
	if err := report.WriteText(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", mode, err)
		status = 1
	}
	if out != "" {
		jsonPath, htmlPath, err := report.WriteFiles(out, mode, rep)
		if err != nil {
			fmt.Fprintf(stderr, "bench %s: %v\n", mode, err)
			status = 1
		} else {
			fmt.Fprintf(stdout, "\nwrote %s and %s\n", jsonPath, htmlPath)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "bench %s: run cut short: %v\n", mode, runErr)
		status = 1
	}
	for _, f := range failed {
		fmt.Fprintf(stderr, "bench %s: FAIL %s = %s, limit %s\n", mode, f.Name, report.FormatValue(f.Value, f.Unit), f.Limit.Format(f.Unit))
	}
	if len(failed) > 0 && status == 0 {
		status = 1
	}
	return status
}
