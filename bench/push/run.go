package push

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// RunConfig sets up Run: many broadcasters replaying one clip.
type RunConfig struct {
	// URL is where each broadcaster publishes, with {stream} standing for
	// its stream name: rtmp://host:1935/live/{stream}?key=k for RTMP, or
	// http://host:8080/ingest/{stream}?key=k for HTTP push of MPEG-TS.
	URL string
	// Streams is the number of broadcasters, each on its own stream.
	Streams int
	// Name is the stream name pattern; %d is the broadcaster's index.
	Name string
	// Media is the clip every broadcaster replays, decoded once.
	Media *Media
	// Duration is how long the run lasts.
	Duration time.Duration
	// Spread staggers the broadcasters' starts evenly over this much time,
	// so that their keyframes and connection setups do not all coincide.
	Spread time.Duration
	// Retry is how long a broadcaster waits to publish again after an
	// error.
	Retry time.Duration
	// MetricsURL, if set, is the ingest's /metrics, read at the start and
	// the end to count the frames it received.
	MetricsURL string
	// Sample is the resolution of the time series.
	Sample time.Duration
}

// DefaultRunConfig returns 10 streams named bench0… for 60 s, starts
// spread over 2 s.
func DefaultRunConfig() RunConfig {
	return RunConfig{
		Streams:  10,
		Name:     "bench%d",
		Duration: 60 * time.Second,
		Spread:   2 * time.Second,
		Retry:    time.Second,
		Sample:   time.Second,
	}
}

// Validate reports every setting Run cannot work with.
func (c RunConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(strings.ReplaceAll(c.URL, "{stream}", "x")); err != nil || (u.Scheme != "rtmp" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("URL %q is not rtmp://… or http://…", c.URL))
	} else if !strings.Contains(c.URL, "{stream}") {
		errs = append(errs, fmt.Errorf("URL %q has no {stream}", c.URL))
	}
	if c.Streams <= 0 {
		errs = append(errs, fmt.Errorf("streams %d must be positive", c.Streams))
	}
	if !strings.Contains(c.Name, "%d") {
		errs = append(errs, fmt.Errorf("name %q has no %%d", c.Name))
	}
	if c.Media == nil {
		errs = append(errs, errors.New("no media"))
	}
	if c.Duration <= 0 || c.Spread < 0 || c.Retry <= 0 || c.Sample <= 0 {
		errs = append(errs, errors.New("duration, retry and sample must be positive, spread not negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// RunSample is one point of a run's time series.
type RunSample struct {
	At         time.Duration
	Publishers int64   // publishing now
	Mbps       float64 // payload sent over the interval
	Frames     int64   // sent over the interval
	Late       int64   // late frames over the interval
	CPU        float64 // this process's CPU over the interval, in cores
}

// RunResult is what a run measured.
type RunResult struct {
	Config     RunConfig
	Start, End time.Time
	Frames     int64 // sent
	Bytes      int64 // payload sent
	Late       int64 // frames sent more than LateAfter behind schedule
	// MeanBehind and MaxBehind are how far behind schedule frames left.
	MeanBehind, MaxBehind time.Duration
	Publishes             int64 // publish sessions started
	Errors                map[string]int64
	// IngestFrames is what the ingest's /metrics counted over the run;
	// -1 when it could not be read. IngestErr says why.
	IngestFrames int64
	IngestErr    error
	CPU          time.Duration
	Series       []RunSample
}

// Runner runs broadcasters; Status may be read while Run runs.
type Runner struct {
	cfg    RunConfig
	stats  Stats
	active atomic.Int64 // broadcasters connected and sending

	mu     sync.Mutex // guards errs, series and publishes
	errs   map[string]int64
	series []RunSample
	pubs   int64
}

// NewRunner returns a runner for cfg.
func NewRunner(cfg RunConfig) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, errs: map[string]int64{}}, nil
}

// RunStatus is the live view of a run.
type RunStatus struct {
	Elapsed    time.Duration
	Publishers int64
	Frames     int64
	Late       int64
	Errors     int64
	Mbps       float64 // over the last sample
}

// Status returns the run's counters so far.
func (r *Runner) Status() RunStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := RunStatus{Publishers: r.active.Load(), Frames: r.stats.Frames.Load(), Late: r.stats.Late.Load()}
	for _, n := range r.errs {
		st.Errors += n
	}
	if n := len(r.series); n > 0 {
		st.Elapsed, st.Mbps = r.series[n-1].At, r.series[n-1].Mbps
	}
	return st
}

// Run publishes until cfg.Duration has passed or ctx ends. The error is
// ctx's when it ended the run early.
func (r *Runner) Run(ctx context.Context) (*RunResult, error) {
	cfg := r.cfg
	res := &RunResult{Config: cfg, IngestFrames: -1}
	before, berr := scrapeFrames(ctx, cfg.MetricsURL)
	res.Start = time.Now()
	cpu0 := processCPU()
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.sample(runCtx, res.Start, cpu0)
	}()
	for i := range cfg.Streams {
		name := fmt.Sprintf(cfg.Name, i)
		u := strings.ReplaceAll(cfg.URL, "{stream}", name)
		delay := time.Duration(0)
		if cfg.Streams > 1 {
			delay = cfg.Spread * time.Duration(i) / time.Duration(cfg.Streams)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.broadcast(runCtx, u, delay)
		}()
	}
	wg.Wait()
	res.End = time.Now()
	res.CPU = processCPU() - cpu0

	if cfg.MetricsURL != "" {
		after, aerr := scrapeFrames(context.Background(), cfg.MetricsURL)
		switch {
		case berr != nil:
			res.IngestErr = berr
		case aerr != nil:
			res.IngestErr = aerr
		default:
			res.IngestFrames = after - before
		}
	}
	st := &r.stats
	res.Frames, res.Bytes, res.Late = st.Frames.Load(), st.Bytes.Load(), st.Late.Load()
	if res.Frames > 0 {
		res.MeanBehind = time.Duration(st.LateNanos.Load() / res.Frames)
	}
	res.MaxBehind = time.Duration(st.MaxLateNanos.Load())
	r.mu.Lock()
	res.Errors, res.Series, res.Publishes = r.errs, r.series, r.pubs
	r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// broadcast publishes to u after delay until ctx ends, starting again
// after each error.
func (r *Runner) broadcast(ctx context.Context, u string, delay time.Duration) {
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	publish := RTMP
	if strings.HasPrefix(u, "http://") {
		publish = HTTP
	}
	for ctx.Err() == nil {
		r.mu.Lock()
		r.pubs++
		r.mu.Unlock()
		r.active.Add(1)
		err := publish(ctx, u, r.cfg.Media, 0, &r.stats)
		r.active.Add(-1)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("push: publisher ended")
		}
		r.mu.Lock()
		r.errs[classOf(err)]++
		r.mu.Unlock()
		t := time.NewTimer(r.cfg.Retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *Runner) sample(ctx context.Context, start time.Time, cpu0 time.Duration) {
	t := time.NewTicker(r.cfg.Sample)
	defer t.Stop()
	lastAt, lastCPU := start, cpu0
	var lastBytes, lastFrames, lastLate int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			iv := now.Sub(lastAt).Seconds()
			cpu := processCPU()
			bytes, frames, late := r.stats.Bytes.Load(), r.stats.Frames.Load(), r.stats.Late.Load()
			s := RunSample{
				At:         now.Sub(start),
				Publishers: r.active.Load(),
				Mbps:       float64(bytes-lastBytes) * 8 / iv / 1e6,
				Frames:     frames - lastFrames,
				Late:       late - lastLate,
				CPU:        (cpu - lastCPU).Seconds() / iv,
			}
			lastAt, lastCPU, lastBytes, lastFrames, lastLate = now, cpu, bytes, frames, late
			r.mu.Lock()
			r.series = append(r.series, s)
			r.mu.Unlock()
		}
	}
}

// ErrorClasses returns the errors by class, most frequent first.
func (res *RunResult) ErrorClasses() []string {
	keys := make([]string, 0, len(res.Errors))
	for k := range res.Errors {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if res.Errors[keys[i]] != res.Errors[keys[j]] {
			return res.Errors[keys[i]] > res.Errors[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// processCPU returns the CPU time, user and system, the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
