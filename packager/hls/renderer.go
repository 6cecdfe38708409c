package hls

import (
	"sort"
	"sync"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// Renderer renders playlists and caches them, so that a crowd of waiters
// woken by one change costs one rendering. A cached body is keyed by what
// the playlist shows (each track's newest segment and complete parts,
// first segment, init, and whether the stream ended) rather than by
// Stream.Version alone, which moves on every chunk; the query of a request
// is spliced in afterwards, so viewers with distinct tokens share the
// rendering too. It is safe for concurrent use.
//
// A Renderer also remembers the discontinuities it has seen leave each
// track's window, for EXT-X-DISCONTINUITY-SEQUENCE, which the window alone
// cannot tell. A discontinuity that enters and leaves the window while
// nobody asks for a playlist goes uncounted; no viewer can notice.
type Renderer struct {
	mu      sync.Mutex // guards streams and swept
	streams map[*window.Stream]*streamCache
	swept   time.Time
}

// NewRenderer returns an empty renderer.
func NewRenderer() *Renderer {
	return &Renderer{streams: make(map[*window.Stream]*streamCache)}
}

// Cache bounds. Streams unused for idleAfter are dropped at a sweep, which
// runs at most every sweepEvery once more than sweepAbove streams are held.
// A body is cached for at most maxQueries distinct queries.
const (
	sweepAbove = 64
	sweepEvery = time.Minute
	idleAfter  = 2 * time.Minute
	maxQueries = 256
)

// Media returns tr's media playlist for req. The bytes are shared: do not
// modify them.
func (r *Renderer) Media(st *window.Stream, tr *window.Track, req Request) []byte {
	sc := r.stream(st)
	e := sc.entry(st, entryKey{track: tr.ID(), skip: req.Skip, byteRange: req.ByteRange})
	e.once.Do(func() {
		e.tpl = renderMedia(st, tr, st.Ended(), req, func(segs []*window.Segment) uint64 {
			return sc.discSeq(tr.ID(), segs)
		}, sc.leads.of)
	})
	return e.body(req.Query)
}

// Multivariant returns the stream's multivariant playlist for req. The
// bytes are shared: do not modify them.
func (r *Renderer) Multivariant(st *window.Stream, req Request) []byte {
	sc := r.stream(st)
	e := sc.entry(st, entryKey{track: 0, byteRange: req.ByteRange})
	e.once.Do(func() { e.tpl = renderMultivariant(st, req) })
	return e.body(req.Query)
}

// Forget drops what the renderer holds for st, for example when the stream
// is removed.
func (r *Renderer) Forget(st *window.Stream) {
	r.mu.Lock()
	delete(r.streams, st)
	r.mu.Unlock()
}

func (r *Renderer) stream(st *window.Stream) *streamCache {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.streams[st]
	if sc == nil {
		if len(r.streams) >= sweepAbove && now.Sub(r.swept) >= sweepEvery {
			r.swept = now
			for k, v := range r.streams {
				if now.Sub(v.used) > idleAfter {
					delete(r.streams, k)
				}
			}
		}
		sc = &streamCache{disc: make(map[int]*discMemory)}
		r.streams[st] = sc
	}
	sc.used = now
	return sc
}

// streamCache holds one stream's rendered playlists for its current state.
type streamCache struct {
	used time.Time // guarded by Renderer.mu

	mu      sync.Mutex // guards the fields below
	version uint64     // the newest Stream.Version the entries are good for
	sig     signature  // the state they show
	entries map[entryKey]*entry
	disc    map[int]*discMemory // by track ID
	leads   leads               // presentation leads, by init
}

type entryKey struct {
	track     int // 0 for the multivariant playlist
	skip      bool
	byteRange bool
}

// entry is one rendered playlist, rendered once by whoever asks first.
type entry struct {
	once sync.Once
	tpl  template

	mu      sync.RWMutex // guards byQuery
	byQuery map[string][]byte
}

// entry returns the entry for key that shows st's current state. It reads
// the version before the state and renders after, so a body is never older
// than the version it is filed under.
func (sc *streamCache) entry(st *window.Stream, key entryKey) *entry {
	v := st.Version()
	sc.mu.Lock()
	if sc.entries == nil || v > sc.version {
		sc.mu.Unlock()
		sig := signatureOf(st, v)
		sc.mu.Lock()
		if v > sc.version || sc.entries == nil {
			if sc.entries == nil || sig != sc.sig {
				sc.entries = make(map[entryKey]*entry)
				sc.sig = sig
			}
			sc.version = v
		}
	}
	e := sc.entries[key]
	if e == nil {
		e = &entry{}
		sc.entries[key] = e
	}
	sc.mu.Unlock()
	return e
}

func (e *entry) body(query string) []byte {
	if query == "" {
		return e.tpl.b
	}
	e.mu.RLock()
	b, ok := e.byQuery[query]
	e.mu.RUnlock()
	if ok {
		return b
	}
	b = e.tpl.with(query)
	e.mu.Lock()
	defer e.mu.Unlock()
	// Another waiter may have spliced the same query meanwhile: keep one.
	if prev, ok := e.byQuery[query]; ok {
		return prev
	}
	if e.byQuery == nil {
		e.byQuery = make(map[string][]byte)
	}
	if len(e.byQuery) < maxQueries {
		e.byQuery[query] = b
	}
	return b
}

// maxSigTracks is how many tracks a signature describes; a stream with more
// is told apart by its version alone.
const maxSigTracks = 4

// signature is what a stream's playlists show. Two states with equal
// signatures render the same playlists.
type signature struct {
	ended   bool
	n       int
	tracks  [maxSigTracks]trackSig
	version uint64 // set only for a stream of more than maxSigTracks tracks
}

type trackSig struct {
	id          int
	init        *window.Init
	first, last uint64
	segs        int
	complete    bool // the last segment
	parts       int  // complete parts of the last segment
}

func signatureOf(st *window.Stream, version uint64) signature {
	s := signature{ended: st.Ended()}
	for _, tr := range st.Tracks() {
		if s.n == maxSigTracks {
			return signature{n: maxSigTracks + 1, version: version}
		}
		ts := trackSig{id: tr.ID(), init: tr.Init()}
		segs := tr.Segments()
		if n := len(segs); n > 0 {
			ts.first, ts.last, ts.segs = segs[0].MSN, segs[n-1].MSN, n
			ts.complete = segs[n-1].Complete()
			ts.parts = completeParts(segs[n-1].Parts())
		}
		s.tracks[s.n] = ts
		s.n++
	}
	return s
}

// discMemory remembers the MSNs of a track's discontinuity segments, so
// that the discontinuity sequence number counts those that left the window.
type discMemory struct {
	mu   sync.Mutex // guards the fields below
	base uint64     // discontinuities forgotten, all older than any in seen
	seen []uint64   // sorted MSNs of discontinuity segments seen
}

// maxDiscs bounds discMemory.seen; the older half is folded into base.
const maxDiscs = 1024

func (sc *streamCache) discSeq(track int, segs []*window.Segment) uint64 {
	sc.mu.Lock()
	m := sc.disc[track]
	if m == nil {
		m = &discMemory{}
		sc.disc[track] = m
	}
	sc.mu.Unlock()
	return m.seq(segs)
}

// seq records the discontinuities of a window and returns how many
// discontinuities precede its first segment.
func (m *discMemory) seq(segs []*window.Segment) uint64 {
	if len(segs) == 0 {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range segs {
		if !s.Discontinuity {
			continue
		}
		i := sort.Search(len(m.seen), func(i int) bool { return m.seen[i] >= s.MSN })
		if i < len(m.seen) && m.seen[i] == s.MSN {
			continue
		}
		m.seen = append(m.seen, 0)
		copy(m.seen[i+1:], m.seen[i:])
		m.seen[i] = s.MSN
	}
	if len(m.seen) > maxDiscs {
		half := len(m.seen) / 2
		m.base += uint64(half)
		m.seen = append(m.seen[:0], m.seen[half:]...)
	}
	first := segs[0].MSN
	return m.base + uint64(sort.Search(len(m.seen), func(i int) bool { return m.seen[i] >= first }))
}
