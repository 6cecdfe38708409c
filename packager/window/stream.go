package window

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds a stream's window and tells readers how it is cut.
type Config struct {
	// SegmentTarget and PartTarget are the packager's targets, which
	// playlists advertise.
	SegmentTarget time.Duration
	PartTarget    time.Duration
	// Span is how much media each track keeps.
	Span time.Duration
	// MinSegments is kept whatever Span says, so a playlist is never empty
	// of complete segments.
	MinSegments int
}

// Stream is one live stream's tracks.
type Stream struct {
	name string
	cfg  Config

	mu      sync.Mutex // guards changed and ended, and serialises adding tracks
	changed chan struct{}
	ended   bool
	// tracks, sorted by ID, is replaced whole when one is added, so that
	// the lookups of every request take no lock.
	tracks atomic.Pointer[[]*Track]

	version  atomic.Uint64 // bumped on every change; keys caches of rendered playlists
	lastRead atomic.Int64  // unix nanoseconds of the last Touch
}

// NewStream returns an empty stream.
func NewStream(name string, cfg Config) *Stream {
	if cfg.MinSegments <= 0 {
		cfg.MinSegments = 3
	}
	s := &Stream{name: name, cfg: cfg, changed: make(chan struct{})}
	s.Touch()
	return s
}

// Config returns the stream's configuration.
func (s *Stream) Config() Config { return s.cfg }

// Name returns the stream's name.
func (s *Stream) Name() string { return s.name }

// Track returns the track with the given ID, creating it if create is set.
func (s *Stream) Track(id int, create bool) (*Track, bool) {
	if t := s.track(id); t != nil || !create {
		return t, t != nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.track(id); t != nil {
		return t, true
	}
	t := &Track{stream: s, id: id, spool: newSpool(s.name), changed: make(chan struct{})}
	var all []*Track
	if p := s.tracks.Load(); p != nil {
		all = append(all, *p...)
	}
	all = append(all, t)
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	s.tracks.Store(&all)
	return t, true
}

// track returns the stream's track id, or nil.
func (s *Stream) track(id int) *Track {
	if p := s.tracks.Load(); p != nil {
		for _, t := range *p {
			if t.id == id {
				return t
			}
		}
	}
	return nil
}

// Tracks returns the stream's tracks that have an init segment, by ID.
func (s *Stream) Tracks() []*Track {
	p := s.tracks.Load()
	if p == nil {
		return nil
	}
	out := make([]*Track, 0, len(*p))
	for _, t := range *p {
		if t.Init() != nil {
			out = append(out, t)
		}
	}
	return out
}

// Changed returns a channel closed at the next change to the stream. Take it
// before reading the state it guards, then wait on it, and no change is missed.
func (s *Stream) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Version returns a number that grows with every change.
func (s *Stream) Version() uint64 { return s.version.Load() }

func (s *Stream) notify() {
	s.version.Add(1)
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// End marks the stream over: every track's last segment completes, and
// readers stop waiting for more.
func (s *Stream) End() {
	for _, t := range s.Tracks() {
		t.mu.Lock()
		if n := len(t.segments); n > 0 {
			t.completeLocked(t.segments[n-1])
		}
		t.mu.Unlock()
	}
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	for _, t := range s.Tracks() {
		t.wake()
	}
	s.notify()
}

// Ended reports whether End was called.
func (s *Stream) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Evict drops media older than the window's span from every track.
func (s *Stream) Evict() {
	for _, t := range s.Tracks() {
		t.evict(s.cfg.Span, s.cfg.MinSegments)
	}
}

// close frees the stream's media once nobody will serve it again.
func (s *Stream) close() {
	for _, t := range s.Tracks() {
		t.close()
	}
}

// Bytes returns the RAM the stream's media holds.
func (s *Stream) Bytes() int64 {
	var n int64
	for _, t := range s.Tracks() {
		n += t.Bytes()
	}
	return n
}

// Touch records that somebody read the stream, for idle eviction at edges.
func (s *Stream) Touch() { s.lastRead.Store(time.Now().UnixNano()) }

// LastRead returns when Touch was last called.
func (s *Stream) LastRead() time.Time { return time.Unix(0, s.lastRead.Load()) }
