package play

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Runner runs one load test: it starts the viewers on schedule, samples
// the time series, and gathers the result.
type Runner struct {
	cfg   Config
	stats *Stats

	// Parses shared by every viewer, keyed by body.
	media    *parseCache[*mediaPlaylist]
	variants *parseCache[variants]
	mpds     *parseCache[*dashManifest]
	inits    *parseCache[trackInit]

	hooks hooks
	dial  dialFunc // opens viewers' connections, set by Run

	mu      sync.Mutex // guards viewers, series and status
	viewers []*viewer
	series  []Sample
	status  Status
}

// hooks let tests watch what LL-HLS viewers do; nil fields are skipped.
// They run on the viewers' goroutines.
type hooks struct {
	// playlist sees each blocking reload: the part it asked for, when it
	// was sent, when the playlist came back, and the playlist.
	playlist func(q pos, sent, back time.Time, pl *mediaPlaylist)
	// hint sees each preload-hinted part fetched.
	hint func(hintEvent)
	// media sees the URI of every part, segment or init segment read.
	media func(uri string)
}

// hintEvent is one preload-hinted part: requested at sent, together with
// the blocking reload for it, when before was the newest playlist;
// after is the playlist that reload returned.
type hintEvent struct {
	q             pos
	uri           string
	sent          time.Time
	obj           object
	timescale     uint32
	before, after *mediaPlaylist
}

// Sample is one point of the run's time series.
type Sample struct {
	At       time.Duration // since the start
	Active   int64         // viewers running
	Playing  int64         // viewers whose playback is running
	Stalled  int64         // viewers stalled after playback started
	Gbps     float64       // received, over the interval
	P50, P99 time.Duration // latency behind live over the interval; 0 without samples
	Requests int64         // over the interval
	Errors   int64         // over the interval
	CPU      float64       // generator CPU over the interval, in cores
	HostCPU  float64       // the whole machine's busy CPU, in cores; 0 if unknown
	Edges    map[string]int64
}

// Status is the live view of a run, for a progress line.
type Status struct {
	Elapsed time.Duration
	Sample
	ErrorsTotal int64
}

// New returns a runner for cfg.
func New(cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{
		cfg:      cfg,
		stats:    newStats(),
		media:    newParseCache(parseMedia),
		variants: newParseCache(parseMultivariant),
		mpds:     newParseCache(parseMPD),
		inits:    newParseCache(parseInit),
	}, nil
}

// Status returns the latest sample and totals; it is safe to call from
// any goroutine while Run runs.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Run starts the viewers as the arrival pattern says, lets them play until
// cfg.Duration has passed or ctx ends, stops them, and returns what they
// measured. The error is ctx's when it ended the run early.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	dial, closeDialer := newDialer()
	r.dial = dial
	defer closeDialer()
	start := time.Now()
	cpu0 := processCPU()
	runCtx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()

	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		r.sample(runCtx, start, cpu0)
	}()

	var wg sync.WaitGroup
	sp := specs(r.cfg)
	times := arrivalTimes(r.cfg.Arrival, len(sp), r.cfg.Ramp)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
arrivals:
	for i, s := range sp {
		if wait := time.Until(start.Add(times[i])); wait > 0 {
			timer.Reset(wait)
			select {
			case <-runCtx.Done():
				break arrivals
			case <-timer.C:
			}
		}
		v := &viewer{r: r, spec: s, proto: s.proto.index(), at: time.Now()}
		r.mu.Lock()
		r.viewers = append(r.viewers, v)
		r.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.run(runCtx)
		}()
	}
	<-runCtx.Done()
	end := time.Now()
	wg.Wait()
	<-sampled
	res := r.result(start, end, processCPU()-cpu0)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// sample records a point of the time series every cfg.Sample until ctx
// ends.
func (r *Runner) sample(ctx context.Context, start time.Time, cpu0 time.Duration) {
	t := time.NewTicker(r.cfg.Sample)
	defer t.Stop()
	st := r.stats
	lastAt, lastCPU := start, cpu0
	lastBusy, lastTotal := hostTicks()
	cores := float64(runtime.NumCPU())
	var lastBytes, lastReq, lastErr int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			iv := now.Sub(lastAt).Seconds()
			cpu := processCPU()
			bytes, req, errs := st.bytes.Load(), st.requests.Load(), st.errors.Load()
			lat := st.latencyNow.Drain()
			s := Sample{
				At:       now.Sub(start),
				Active:   st.active.Load(),
				Gbps:     float64(bytes-lastBytes) * 8 / iv / 1e9,
				P50:      lat.Quantile(0.5),
				P99:      lat.Quantile(0.99),
				Requests: req - lastReq,
				Errors:   errs - lastErr,
				CPU:      (cpu - lastCPU).Seconds() / iv,
				Edges:    st.edgeCounts(),
			}
			if busy, total := hostTicks(); total > lastTotal {
				s.HostCPU = float64(busy-lastBusy) / float64(total-lastTotal) * cores
				lastBusy, lastTotal = busy, total
			}
			s.Playing, s.Stalled = r.playing(now)
			lastAt, lastCPU, lastBytes, lastReq, lastErr = now, cpu, bytes, req, errs
			r.mu.Lock()
			r.series = append(r.series, s)
			r.status = Status{Elapsed: s.At, Sample: s, ErrorsTotal: errs}
			r.mu.Unlock()
		}
	}
}

// playing counts the viewers playing and stalled at now.
func (r *Runner) playing(now time.Time) (playing, stalled int64) {
	r.mu.Lock()
	vs := r.viewers
	r.mu.Unlock()
	for _, v := range vs {
		b := v.buffer()
		if b == nil {
			continue
		}
		started, on := b.State(now)
		switch {
		case on:
			playing++
		case started:
			stalled++
		}
	}
	return playing, stalled
}

// EdgeCount is how many viewers an edge served over the run.
type EdgeCount struct {
	Edge    string
	Viewers int64
}

func (r *Runner) result(start, end time.Time, cpu time.Duration) *Result {
	st := r.stats
	res := &Result{
		Config:      r.cfg,
		Start:       start,
		End:         end,
		Arrived:     st.arrived.Load(),
		Joined:      st.joined.Load(),
		Started:     st.started.Load(),
		Requests:    st.requests.Load(),
		Errors:      st.errors.Load(),
		Bytes:       st.bytes.Load(),
		Dials:       st.dials.Load(),
		Redirects:   st.redirects.Load(),
		Resyncs:     st.resyncs.Load(),
		Stalls:      st.stalls.Load(),
		Stalled:     time.Duration(st.stalledNanos.Load()),
		Watched:     time.Duration(st.watchedNanos.Load()),
		Latency:     st.latency.Snapshot(),
		Playback:    st.playback.Snapshot(),
		ByPlayer:    map[Protocol]PlayerLatency{},
		Redirect:    st.redirect.Snapshot(),
		TTFB:        st.ttfb.Snapshot(),
		Join:        st.join.Snapshot(),
		StallTime:   st.stallTime.Snapshot(),
		ErrorsBy:    st.errorCounts(),
		CPU:         cpu,
		ParseHits:   r.media.hits.Load() + r.mpds.hits.Load() + r.variants.hits.Load() + r.inits.hits.Load(),
		ParseMisses: r.media.misses.Load() + r.mpds.misses.Load() + r.variants.misses.Load() + r.inits.misses.Load(),
	}
	for _, sh := range r.cfg.Mix {
		i := sh.Proto.index()
		res.ByPlayer[sh.Proto] = PlayerLatency{Latency: st.byProto[i].latency.Snapshot(), Playback: st.byProto[i].playback.Snapshot()}
	}
	st.mu.Lock()
	for k, n := range st.served {
		res.Edges = append(res.Edges, EdgeCount{k, n})
	}
	st.mu.Unlock()
	sort.Slice(res.Edges, func(i, j int) bool {
		if res.Edges[i].Viewers != res.Edges[j].Viewers {
			return res.Edges[i].Viewers > res.Edges[j].Viewers
		}
		return res.Edges[i].Edge < res.Edges[j].Edge
	})
	r.mu.Lock()
	res.Series = r.series
	r.mu.Unlock()
	return res
}
