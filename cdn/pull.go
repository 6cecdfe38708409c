package cdn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetree/livetree/packager/feed"
	"github.com/livetree/livetree/packager/window"
)

// pull is one stream's upstream: the goroutine that keeps the stream's
// window fed from a parent, moving to another parent when one fails.
type pull struct {
	e      *Edge
	name   string
	ctx    context.Context // ends the pull: the stream was dropped or the edge closes
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	readyOnce sync.Once
	ready     chan struct{} // closed once the window has its first segments, or the pull failed
	err       error         // why the pull failed; written before ready is closed

	st       atomic.Pointer[window.Stream]
	gen      atomic.Pointer[generation] // the feeds served from st end with it
	lastUse  atomic.Int64               // unix nanoseconds of the last request for the stream
	children atomic.Int32               // feeds this edge writes from the stream now
	endedAt  atomic.Int64               // unix nanoseconds the stream ended; 0 while live
	live     atomic.Bool                // a parent's catch-up is over
	parent   atomic.Pointer[string]     // parent of the last feed established, for logs and load reports

	// assigned is the parent usher told the edge to switch to, taken by
	// the next attempt; cut ends the open feed so that it comes at once.
	assigned  atomic.Pointer[string]
	cutMu     sync.Mutex         // guards cut, target and switching
	cut       context.CancelFunc // ends the open feed; nil between feeds
	target    string             // parent of the open feed, established or not
	switching bool               // the open feed was cut to switch parents
	// failedAt remembers the last parent that failed and when, so that
	// usher's plan, which still names it, does not take the edge back to
	// it at every heartbeat.
	failedAt atomic.Pointer[failure]
}

// generation is the life of one window object: a gap in the feed replaces
// the window with an empty one, and feeds written from the old one end.
type generation struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newPull(e *Edge, name string) *pull {
	p := &pull{e: e, name: name, done: make(chan struct{}), ready: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(e.ctx)
	p.touch()
	return p
}

func (p *pull) touch() { p.lastUse.Store(time.Now().UnixNano()) }

// lastUsed returns when a viewer or child last asked for the stream.
func (p *pull) lastUsed() time.Time {
	t := time.Unix(0, p.lastUse.Load())
	if st := p.st.Load(); st != nil && st.LastRead().After(t) {
		return st.LastRead()
	}
	return t
}

// markReady releases the requests waiting for the stream, with err if
// the pull failed.
func (p *pull) markReady(err error) {
	p.readyOnce.Do(func() {
		p.err = err
		close(p.ready)
	})
}

// run feeds the window until the stream ends or the pull is cancelled.
func (p *pull) run() {
	defer close(p.done)
	defer p.markReady(ErrClosed)
	log := p.e.log.With().Str("stream", p.name).Logger()
	next, failed, notFound, round := 0, 0, 0, 0
	for p.ctx.Err() == nil {
		parents, perr := p.e.parents(p)
		if len(parents) == 0 && errors.Is(perr, ErrNotFound) && p.st.Load() == nil {
			p.e.forget(p, true)
			p.markReady(fmt.Errorf("%w: %w", ErrNotFound, perr))
			return
		}
		if len(parents) == 0 {
			log.Warn().Msg("no parent to pull from")
			if !p.sleep(p.e.cfg.RetryMax) {
				return
			}
			continue
		}
		parent := parents[next%len(parents)]
		began := time.Now()
		established, err := p.session(parent)
		switch {
		case err == nil:
			p.endedAt.Store(time.Now().UnixNano())
			p.markReady(nil)
			log.Info().Str("parent", parent).Msg("stream ended")
			return
		case p.ctx.Err() != nil:
			return
		case p.switched(err):
			// Cut on usher's instruction: the next attempt takes the
			// assigned parent, resuming after the last chunk held.
			log.Info().Str("from", parent).Msg("switching parent as usher planned")
			next, failed, notFound, round = 0, 0, 0, 0
			continue
		case errors.Is(err, feed.ErrGap) && !p.empty():
			// The parent's window starts after ours ends: start over
			// from an empty window rather than keep a hole. A gap into an
			// empty window is the parent's fault, handled as a failure.
			log.Warn().Err(err).Str("parent", parent).Msg("feed gap, starting the window over")
			p.reset()
			continue
		}
		p.e.stats.ParentErrors.Add(1)
		p.failedAt.Store(&failure{parent: parent, at: time.Now()})
		log.Warn().Err(err).Str("parent", parent).Bool("established", established).Msg("parent failed")
		next++
		if established {
			p.e.stats.Failovers.Add(1)
		}
		// A parent that worked for a while failed: try the next one at
		// once. One that fails as soon as it answers counts as a failure,
		// so a round of such parents still backs off.
		if established && time.Since(began) > p.e.cfg.RetryMax {
			failed, notFound, round = 0, 0, 0
			continue
		}
		failed++
		if errors.Is(err, ErrNotFound) {
			notFound++
		}
		if failed < len(parents) {
			continue
		}
		// Every parent failed in turn.
		if notFound == failed && p.st.Load() == nil {
			p.e.forget(p, true)
			p.markReady(fmt.Errorf("%w: %d parents", ErrNotFound, failed))
			return
		}
		if !p.sleep(min(p.e.cfg.RetryMax, 50*time.Millisecond<<min(round, 10))) {
			return
		}
		round++
		failed, notFound = 0, 0
	}
}

// empty reports whether the window holds no track yet.
func (p *pull) empty() bool {
	st := p.st.Load()
	return st == nil || len(st.Tracks()) == 0
}

func (p *pull) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// session opens one feed from parent and applies it until it ends (nil),
// fails or stalls. established reports whether the parent sent a valid
// feed header, that is, whether it was a working parent.
func (p *pull) session(parent string) (established bool, err error) {
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	p.cutMu.Lock()
	p.cut, p.target = cancel, parent
	reassigned := p.assigned.Load() != nil
	p.cutMu.Unlock()
	defer func() {
		p.cutMu.Lock()
		p.cut, p.target = nil, ""
		p.cutMu.Unlock()
	}()
	if reassigned {
		// usher reassigned the stream between the pick and now.
		return false, errSwitch
	}
	var stalled atomic.Bool
	watchdog := time.AfterFunc(p.e.cfg.ConnectTimeout, func() {
		stalled.Store(true)
		cancel()
	})
	defer watchdog.Stop()

	url := parent + FeedPath + p.name
	if st := p.st.Load(); st != nil {
		if from := feed.ResumeFrom(st); from.Valid {
			url += "?from=" + strconv.FormatUint(from.MSN, 10)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, fmt.Errorf("%w: parent %q: %w", ErrConfig, parent, err)
	}
	req.Header.Set(hopHeader, p.e.cfg.ID)
	if p.e.cfg.FleetToken != "" {
		req.Header.Set("Authorization", "Bearer "+p.e.cfg.FleetToken)
	}
	resp, err := p.e.client.Do(req)
	if err != nil {
		if stalled.Load() {
			return false, &StallError{Parent: parent}
		}
		return false, fmt.Errorf("cdn: parent %s: %w", parent, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, &ParentError{Parent: parent, Status: resp.StatusCode}
	}
	p.e.stats.Upstreams.Add(1)
	defer p.e.stats.Upstreams.Add(-1)
	p.parent.Store(&parent)

	watchdog.Reset(p.e.cfg.StallTimeout)
	r := feed.NewReader(&stallReader{r: resp.Body, watchdog: watchdog, stall: p.e.cfg.StallTimeout, count: &p.e.stats.BytesIn})
	r.OnFrame(func(t feed.FrameType) {
		if t == feed.FrameLive && !p.live.Swap(true) {
			if st := p.st.Load(); st != nil && hasSegments(st) {
				p.markReady(nil)
			}
		}
	})
	cfg, err := r.Header()
	if err != nil {
		if stalled.Load() {
			return false, &StallError{Parent: parent}
		}
		return false, err
	}
	st := p.st.Load()
	if st == nil {
		st = p.install(cfg)
	}
	err = r.Apply(st)
	if err != nil && stalled.Load() {
		err = &StallError{Parent: parent}
	}
	return true, err
}

// install makes the stream's window, once the first parent has told its
// configuration, and publishes it to the delivery handler.
func (p *pull) install(cfg window.Config) *window.Stream {
	cfg.Span = min(cfg.Span, p.e.cfg.MaxWindow)
	st := window.NewStream(p.name, cfg)
	p.swap(st)
	p.e.wg.Add(1)
	go func() {
		defer p.e.wg.Done()
		p.awaitReady(st)
	}()
	return st
}

// reset replaces the window with an empty one of the same configuration.
func (p *pull) reset() {
	if old := p.st.Load(); old != nil {
		p.swap(window.NewStream(p.name, old.Config()))
	}
}

// swap makes st the stream's window, here and in the delivery handler's
// set, and ends the feeds written from the previous one.
func (p *pull) swap(st *window.Stream) {
	gctx, gcancel := context.WithCancel(p.ctx)
	p.e.mu.Lock()
	// A pull dropped meanwhile must not publish its window.
	if p.e.pulls[p.name] == p {
		p.e.streams.Add(st)
	}
	p.st.Store(st)
	old := p.gen.Swap(&generation{ctx: gctx, cancel: gcancel})
	p.e.mu.Unlock()
	if old != nil {
		old.cancel()
	}
}

// awaitReady closes ready once the first parent's catch-up is over and
// every track of st has a segment, or st ended. Viewers let in before the
// catch-up is over would start at the window's oldest segment, taking it
// for the live edge.
func (p *pull) awaitReady(st *window.Stream) {
	for {
		changed := st.Changed()
		if p.live.Load() && hasSegments(st) || st.Ended() {
			p.markReady(nil)
			return
		}
		select {
		case <-changed:
		case <-p.ctx.Done():
			return
		}
	}
}

func hasSegments(st *window.Stream) bool {
	if st.Ended() {
		return true
	}
	tracks := st.Tracks()
	for _, tr := range tracks {
		if _, ok := tr.Last(); !ok {
			return false
		}
	}
	return len(tracks) > 0
}

// stallReader counts a feed's bytes and pushes the stall watchdog back
// each time some arrive.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer
	stall    time.Duration
	count    *atomic.Uint64
}

func (s *stallReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if n > 0 {
		s.watchdog.Reset(s.stall)
		s.count.Add(uint64(n))
	}
	return n, err
}
