package cdn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/packager/window"
)

// negativeTTL is how long a stream no parent has is answered 404 without
// asking the parents again.
const negativeTTL = time.Second

// Edge is a cdn server: it pulls streams from parents and serves them to
// viewers and child edges.
type Edge struct {
	cfg      Config
	log      zerolog.Logger
	fleetLog zerolog.Logger // for the usher client, which names its own component
	streams  *window.Streams
	delivery *delivery.Handler
	client   *http.Client
	picker   ParentPicker
	access   Access
	reg      *prometheus.Registry
	viewers  *viewers

	stats     Stats
	feedStats FeedStats
	feed      fasthttp.RequestHandler
	metrics   fasthttp.RequestHandler

	// ctx is the parent of every pull and feed; cancel ends them all.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // pulls, their ready watchers, the janitor

	mu      sync.RWMutex // guards pulls, missing, closed
	pulls   map[string]*pull
	missing map[string]time.Time // streams no parent had, until when to say so
	closed  bool

	draining atomic.Bool
	// usherDrain is set while usher's heartbeat replies ask the edge to
	// drain. Unlike draining, it is undone when usher stops asking, and
	// never ends Run: the edge only stops taking new viewers and streams.
	usherDrain atomic.Bool
	drainOnce  sync.Once
	drainAt    atomic.Int64  // unix nanoseconds the drain began
	drained    chan struct{} // closed when a drain is over
	srv        atomic.Pointer[fasthttp.Server]
	fast       atomic.Pointer[delivery.FastListener]
}

// New returns an edge. It validates cfg; nothing listens until Run or Serve.
func New(cfg Config, log zerolog.Logger) (*Edge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Edge{
		cfg:      cfg,
		log:      log.With().Str("component", "cdn").Str("edge", cfg.ID).Logger(),
		fleetLog: log.With().Str("edge", cfg.ID).Logger(),
		streams:  window.NewStreams(),
		picker:   cfg.Picker,
		reg:      prometheus.NewRegistry(),
		viewers:  newViewers(),
		pulls:    make(map[string]*pull),
		missing:  make(map[string]time.Time),
		drained:  make(chan struct{}),
	}
	var err error
	if e.access, err = NewAccess(cfg.TokenKeys, cfg.FleetToken); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	switch {
	case e.picker != nil:
	case cfg.Parent == "" && len(cfg.Ushers) > 0:
		if e.picker, err = newUsherPicker(cfg); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	default:
		e.picker = StaticPicker(cfg.Parent)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.delivery = delivery.New(delivery.Config{Streams: e.streams, Hop: cfg.ID}, log)
	e.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // parents are dialled directly, whatever the environment says
			DialContext:           (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 15 * time.Second}).DialContext,
			ResponseHeaderTimeout: cfg.ConnectTimeout,
			DisableCompression:    true,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       30 * time.Second,
		},
		// An edge pulls from the parent it was given and no other.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	e.feed = FeedHandler(e.streams, FeedOptions{
		Context:   e.ctx,
		Hop:       cfg.ID,
		Heartbeat: cfg.Heartbeat,
		Acquire:   e.acquireFeed,
		Stats:     &e.feedStats,
	})
	if err := e.register(); err != nil {
		return nil, err
	}
	e.metrics = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}))
	return e, nil
}

// Streams returns the windows the edge holds, as the delivery handler sees them.
func (e *Edge) Streams() *window.Streams { return e.streams }

// Run listens on cfg.HTTP and serves until ctx is done or a drain is over.
func (e *Edge) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.HTTP)
	if err != nil {
		return err
	}
	return e.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done or a drain is over, then closes
// every pull and feed and waits for its goroutines. It closes ln.
func (e *Edge) Serve(ctx context.Context, ln net.Listener) error {
	hb, err := e.newHeartbeater(ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	srv := &fasthttp.Server{Handler: e.serveHTTP, Logger: fasthttpLogger{e.log}}
	delivery.ServerDefaults(srv)
	e.srv.Store(srv)
	e.log.Info().Str("addr", ln.Addr().String()).Msg("listening")

	sl := delivery.Listener(ln)
	if fl, err := e.delivery.FastListener(ln, e.admitFast); err == nil {
		e.fast.Store(&fl)
		sl = fl
	} else {
		e.log.Info().Err(err).Msg("serving without the fast path")
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sl) }()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.janitor()
	}()
	if hb != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			_ = hb.Run(e.ctx)
		}()
	}

	select {
	case <-ctx.Done():
	case <-e.drained:
		e.log.Info().Msg("drained")
	case err = <-served:
		served <- err
	}
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.delivery.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if serr := srv.ShutdownWithContext(sctx); serr != nil && err == nil {
		err = serr
	}
	if serr := <-served; serr != nil && err == nil {
		err = serr
	}
	e.wg.Wait()
	e.client.CloseIdleConnections()
	return err
}

// admitFast lets the delivery fast path answer a viewer's request for a
// playlist or a complete object of a stream the edge holds, when the
// viewer may have it; it counts the viewer as serveLive does. Anything
// else takes the full path, which pulls streams, answers errors and
// decides which playlists a draining edge still serves.
func (e *Edge) admitFast(name, query []byte, playlist bool, client netip.Addr, now time.Time) bool {
	if !e.access.AdmitViewer(name, query, playlist, client, now) || playlist && e.refusing() {
		return false
	}
	e.mu.RLock()
	p := e.pulls[string(name)]
	if p != nil {
		p.touch()
	}
	e.mu.RUnlock()
	if p == nil {
		return false
	}
	e.viewers.saw(name, client, now)
	return true
}

// Drain stops taking new viewers and child edges; Run returns once the
// current ones have left or the drain timeout has passed.
func (e *Edge) Drain() {
	e.drainOnce.Do(func() {
		e.drainAt.Store(time.Now().UnixNano())
		e.draining.Store(true)
		e.log.Info().Dur("timeout", e.cfg.DrainTimeout).Msg("draining")
	})
}

// Draining reports whether the edge is draining, by itself or at usher's
// request.
func (e *Edge) Draining() bool { return e.refusing() }

// refusing reports whether the edge refuses new viewers, streams and
// child edges.
func (e *Edge) refusing() bool { return e.draining.Load() || e.usherDrain.Load() }

// acquire returns the stream's pull once its window has its first
// segments, starting the pull on a miss.
//
// Concurrent misses coalesce: the first one starts the pull under the
// lock, and every other finds it in the map and waits on the same ready
// channel, so however many viewers arrive at once the edge opens one
// upstream connection per stream. The map is checked again under the write
// lock because another request may have started the pull between the read
// lock's miss and the write lock, and a second pull would be a second
// upstream connection.
func (e *Edge) acquire(ctx context.Context, name []byte) (*pull, error) {
	e.mu.RLock()
	p := e.pulls[string(name)] // a lookup by a converted key allocates nothing
	if p != nil {
		// Touch under the lock, so the janitor either sees this use or
		// has already dropped the pull from the map.
		p.touch()
	}
	e.mu.RUnlock()
	if p == nil {
		var err error
		if p, err = e.start(string(name)); err != nil {
			return nil, err
		}
	}
	select {
	case <-p.ready:
	default:
		t := time.NewTimer(e.cfg.ReadyTimeout)
		defer t.Stop()
		select {
		case <-p.ready:
		case <-t.C:
			return nil, fmt.Errorf("%w: %s after %v", ErrNotReady, name, e.cfg.ReadyTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return p, nil
}

func (e *Edge) start(name string) (*pull, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.pulls[name]; p != nil {
		p.touch()
		return p, nil
	}
	switch {
	case e.closed:
		return nil, ErrClosed
	case e.refusing():
		return nil, ErrDraining
	}
	if until, ok := e.missing[name]; ok {
		if time.Now().Before(until) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		delete(e.missing, name)
	}
	p := newPull(e, name)
	e.pulls[name] = p
	e.stats.PullsStarted.Add(1)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		p.run()
	}()
	return p, nil
}

// forget removes p from the edge: its window leaves the delivery handler
// and its upstream connection closes. missing remembers that no parent
// had the stream.
func (e *Edge) forget(p *pull, missing bool) {
	e.mu.Lock()
	e.unlist(p)
	if missing {
		e.missing[p.name] = time.Now().Add(negativeTTL)
	}
	e.mu.Unlock()
	p.cancel()
}

// unlist takes p off the edge's lists if it is still the stream's pull,
// and reports whether it was; e.mu is held.
func (e *Edge) unlist(p *pull) bool {
	if e.pulls[p.name] != p {
		return false
	}
	delete(e.pulls, p.name)
	if st := p.st.Load(); st != nil && e.streams.Get(p.name) == st {
		e.streams.Remove(p.name)
	}
	e.viewers.forget(p.name)
	return true
}

// acquireFeed serves a child edge's feed request: the child pulls through
// this edge as a viewer would, and keeps the stream from going idle.
func (e *Edge) acquireFeed(ctx context.Context, name string) (Lease, error) {
	if e.refusing() {
		return Lease{}, ErrDraining
	}
	p, err := e.acquire(ctx, []byte(name))
	if err != nil {
		return Lease{}, err
	}
	p.children.Add(1)
	l := Lease{Stream: p.st.Load(), Release: func() { p.children.Add(-1); p.touch() }}
	if g := p.gen.Load(); g != nil {
		l.Context = g.ctx
	}
	return l, nil
}

// parents lists the parents to try for p's stream: the one usher just
// assigned, or else the picked one, then the fallbacks, without repeats.
// err is the picker's failure, if any.
func (e *Edge) parents(p *pull) (out []string, err error) {
	out = make([]string, 0, 1+len(e.cfg.Fallbacks))
	if a := p.assigned.Swap(nil); a != nil {
		out = append(out, *a)
	} else if first, perr := e.picker.Parent(p.ctx, p.name); perr == nil && first != "" {
		out = append(out, first)
	} else if perr != nil && !errors.Is(perr, ErrNoParent) {
		err = perr
		if !errors.Is(perr, ErrNotFound) {
			e.log.Warn().Err(perr).Str("stream", p.name).Msg("parent picker failed")
		}
	}
	for _, f := range e.cfg.Fallbacks {
		dup := false
		for _, o := range out {
			dup = dup || o == f
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out, err
}

// fasthttpLogger carries fasthttp's own messages at debug level.
type fasthttpLogger struct{ log zerolog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug().Str("from", "fasthttp").Msg(fmt.Sprintf(format, args...))
}
