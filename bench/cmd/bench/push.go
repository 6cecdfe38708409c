package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/livetree/livetree/bench/progress"
	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/bench/report"
)

// pushMain is "bench push": many simulated broadcasters replaying one
// clip in real time, with live progress on stderr, the summary on stdout,
// and DIR/push.json and DIR/push.html with -out. It exits 1 when a limit
// flag is exceeded.
func pushMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := push.DefaultRunConfig()
	fs := flag.NewFlagSet("bench push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "rtmp://127.0.0.1:1935/live/{stream}?key=bench",
		"publish URL; {stream} is each stream's name: rtmp://host:port/live/{stream}?key=K or http://host:port/ingest/{stream}?key=K")
	fs.IntVar(&cfg.Streams, "streams", cfg.Streams, "number of broadcasters, one stream each")
	fs.StringVar(&cfg.Name, "name", cfg.Name, "stream name pattern; %d is the broadcaster's index")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to publish")
	fs.DurationVar(&cfg.Spread, "spread", cfg.Spread, "stagger the broadcasters' starts over this much time")
	fs.DurationVar(&cfg.Retry, "retry", cfg.Retry, "wait before publishing again after an error")
	fs.StringVar(&cfg.MetricsURL, "metrics", "", "the ingest's /metrics URL, to count the frames it received (optional)")
	fs.DurationVar(&cfg.Sample, "sample", cfg.Sample, "time-series resolution")
	media := fs.String("media", "testdata/sample.ts", "MPEG-TS clip (H.264 + AAC) every broadcaster replays")
	kbps := fs.Int("make-kbps", 0, "instead of -media, encode a clip of this many kbit/s with ffmpeg (see push.MakeTS), e.g. 2500")
	clipDir := fs.String("clip-dir", os.TempDir(), "where -make-kbps keeps the clip it makes")
	out := fs.String("out", "", "directory for push.json and push.html (none if empty)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	var gate report.Gate
	gate.Max(fs, "max-late-share", "late_share", "fail when more than this share of frames leave over 50 ms behind schedule (0..1)")
	gate.Max(fs, "max-behind", "behind_max_ms", "fail when any frame leaves more than this many milliseconds behind schedule")
	gate.Max(fs, "max-errors", "errors", "fail on more than this many publisher errors")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench push [flags]\n\nReplays a clip in real time from many simulated broadcasters.\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	path := *media
	if *kbps > 0 {
		p, err := push.MakeTS(ctx, *clipDir, *kbps, 10*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "bench push: %v\n", err)
			return 1
		}
		path = p
	}
	m, err := push.LoadTS(path)
	if err != nil {
		fmt.Fprintf(stderr, "bench push: %v\n", err)
		return exitUsage
	}
	cfg.Media = m.InDecodeOrder()
	r, err := push.NewRunner(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench push: %v\n", err)
		return exitUsage
	}
	var p *progress.Progress
	if !*quiet {
		p = progress.New(stderr, 500*time.Millisecond)
		p.Update(func() string {
			s := r.Status()
			return fmt.Sprintf("push %s  %d/%d publishing  %.0f Mbps  %s frames  %s late  %s errors",
				s.Elapsed.Round(time.Second), s.Publishers, cfg.Streams, s.Mbps,
				report.FormatValue(float64(s.Frames), ""), report.FormatValue(float64(s.Late), ""), report.FormatValue(float64(s.Errors), ""))
		})
	}
	res, runErr := r.Run(ctx)
	if p != nil {
		p.Stop()
	}
	rep := res.Report(append([]string{"bench", "push"}, args...))
	rep.Param("clip file", path)
	return finish(rep, &gate, "push", *out, runErr, stdout, stderr)
}
