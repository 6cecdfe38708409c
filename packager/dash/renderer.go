package dash

import (
	"sync"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// Renderer renders MPDs and remembers where each publish's Period starts:
// a Period must keep its start for as long as clients may see it, while the
// segments it was derived from leave the window. It caches the MPD of the
// stream's current version for each Options, so that only the publishTime
// and the query are written per request. It is safe for concurrent use.
type Renderer struct {
	mu      sync.Mutex // guards streams and swept
	streams map[*window.Stream]*anchors
	swept   time.Time
}

// NewRenderer returns a renderer with no memory.
func NewRenderer() *Renderer {
	return &Renderer{streams: make(map[*window.Stream]*anchors)}
}

// defaultRenderer serves MPD, for callers that do not own a Renderer.
var defaultRenderer = NewRenderer()

// MPD renders st's MPD at time now with the package's shared Renderer. A
// server that owns a Renderer should call its MPD method instead.
func MPD(st *window.Stream, now time.Time, o Options) []byte {
	return defaultRenderer.MPD(st, now, o)
}

// MPD renders st's MPD at time now, its publishTime. The bytes are the
// caller's.
func (r *Renderer) MPD(st *window.Stream, now time.Time, o Options) []byte {
	an := r.anchorsOf(st)
	key := o
	key.Query = ""
	e := an.entry(st.Version(), key)
	e.once.Do(func() { e.head, e.tail, e.ins = render(st, an, key) })
	n := len(e.head) + len("2006-01-02T15:04:05.000Z") + len(e.tail)
	if o.Query != "" {
		n += len(e.ins) * (1 + 2*len(o.Query))
	}
	out := make([]byte, 0, n)
	out = append(out, e.head...)
	out = appendDate(out, now)
	if o.Query == "" {
		return append(out, e.tail...)
	}
	from := 0
	for _, at := range e.ins {
		out = append(out, e.tail[from:at]...)
		out = append(out, '?')
		out = appendTemplateAttr(out, o.Query)
		from = at
	}
	return append(out, e.tail[from:]...)
}

// maxOptions bounds the Options (but Query, spliced in per request) an MPD
// is cached for per stream version.
const maxOptions = 16

// mpdEntry is one rendered MPD, rendered once by whoever asks first.
type mpdEntry struct {
	once       sync.Once
	head, tail []byte
	ins        []int // offsets in tail where a query goes
}

// entry returns the cache entry for version v and options o. The version is
// read before rendering, so an entry is never older than its version.
func (a *anchors) entry(v uint64, o Options) *mpdEntry {
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if v > a.version || a.cache == nil {
		a.version = v
		a.cache = make(map[Options]*mpdEntry)
	}
	e := a.cache[o]
	if e == nil {
		e = &mpdEntry{}
		if len(a.cache) < maxOptions {
			a.cache[o] = e
		}
	}
	return e
}

// Forget drops what the renderer remembers of st.
func (r *Renderer) Forget(st *window.Stream) {
	r.mu.Lock()
	delete(r.streams, st)
	r.mu.Unlock()
}

// Sweep bounds: once more than sweepAbove streams are remembered, streams
// unused for idleAfter are dropped, at most every sweepEvery.
const (
	sweepAbove = 64
	sweepEvery = time.Minute
	idleAfter  = 2 * time.Minute
)

func (r *Renderer) anchorsOf(st *window.Stream) *anchors {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.streams[st]
	if a == nil {
		if len(r.streams) >= sweepAbove && now.Sub(r.swept) >= sweepEvery {
			r.swept = now
			for k, v := range r.streams {
				if now.Sub(v.used) > idleAfter {
					delete(r.streams, k)
				}
			}
		}
		a = &anchors{byEpoch: make(map[string]anchor)}
		r.streams[st] = a
	}
	a.used = now
	return a
}

// anchor ties a Period to the clock: decode time ticks in timescale, on
// the stream's timeline, plays at wall-clock time wall, the Period's start.
type anchor struct {
	wall      time.Time // whole milliseconds, as the MPD writes it
	ticks     uint64
	timescale uint32
}

// media returns the anchor's media time.
func (a anchor) media() time.Duration { return fromTicks(a.ticks, a.timescale) }

// in returns the anchor's media time in another timescale, rounded down.
func (a anchor) in(timescale uint32) uint64 {
	if a.timescale == 0 || a.timescale == timescale {
		return a.ticks
	}
	return a.ticks/uint64(a.timescale)*uint64(timescale) +
		a.ticks%uint64(a.timescale)*uint64(timescale)/uint64(a.timescale)
}

// anchors is one stream's Period anchors, by epoch.
type anchors struct {
	used time.Time // guarded by Renderer.mu

	mu      sync.Mutex // guards byEpoch
	byEpoch map[string]anchor

	cacheMu sync.Mutex // guards version and cache
	version uint64     // the newest Stream.Version cache is good for
	cache   map[Options]*mpdEntry
}

// resolve returns the anchors of ps, in order, fixing those seen for the
// first time at their earliest segment in the window, and not before the
// end of the Period preceding them. It forgets epochs no longer present.
func (a *anchors) resolve(ps []*period) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, p := range ps {
		an, ok := a.byEpoch[p.epoch]
		if !ok {
			an = p.firstAnchor()
			if i > 0 {
				prev := ps[i-1]
				if end := prev.anchor.wall.Add(prev.end() - prev.anchor.media()); an.wall.Before(end) {
					an.wall = end.Round(time.Millisecond)
				}
			}
			a.byEpoch[p.epoch] = an
		}
		p.anchor = an
	}
	if len(a.byEpoch) > len(ps) {
		keep := make(map[string]bool, len(ps))
		for _, p := range ps {
			keep[p.epoch] = true
		}
		for e := range a.byEpoch {
			if !keep[e] {
				delete(a.byEpoch, e)
			}
		}
	}
}
