package window

import (
	"sort"
	"sync"
)

// Streams is the set of streams a server holds, by name.
type Streams struct {
	mu sync.RWMutex // guards m and watchers
	m  map[string]*Stream
	// watchers are told of every stream that leaves the set, so that
	// whoever keeps state per stream (renderers' caches) lets go of it.
	watchers map[int]func(*Stream)
	nextID   int
}

// NewStreams returns an empty set.
func NewStreams() *Streams { return &Streams{m: make(map[string]*Stream)} }

// Add inserts st, replacing any stream of the same name, whose media is
// then freed.
func (s *Streams) Add(st *Stream) {
	s.mu.Lock()
	old := s.m[st.Name()]
	s.m[st.Name()] = st
	s.mu.Unlock()
	if old != nil && old != st {
		s.drop(old)
	}
}

// Remove deletes the stream called name and frees its media. Readers still
// holding it find its segments gone.
func (s *Streams) Remove(name string) {
	s.mu.Lock()
	old := s.m[name]
	delete(s.m, name)
	s.mu.Unlock()
	if old != nil {
		s.drop(old)
	}
}

// drop frees a stream that left the set and tells the watchers.
func (s *Streams) drop(st *Stream) {
	st.close()
	s.mu.RLock()
	fns := make([]func(*Stream), 0, len(s.watchers))
	for _, fn := range s.watchers {
		fns = append(fns, fn)
	}
	s.mu.RUnlock()
	for _, fn := range fns {
		fn(st)
	}
}

// OnRemove calls fn with every stream that leaves the set, removed or
// replaced, after its media is freed. The returned function stops it.
func (s *Streams) OnRemove(fn func(*Stream)) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers == nil {
		s.watchers = make(map[int]func(*Stream))
	}
	id := s.nextID
	s.nextID++
	s.watchers[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.watchers, id)
		s.mu.Unlock()
	}
}

// Get returns the stream called name, or nil.
func (s *Streams) Get(name string) *Stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[name]
}

// Names returns the streams' names, sorted.
func (s *Streams) Names() []string {
	s.mu.RLock()
	out := make([]string, 0, len(s.m))
	for n := range s.m {
		out = append(out, n)
	}
	s.mu.RUnlock()
	sort.Strings(out)
	return out
}

// Bytes returns the RAM held by every stream's media.
func (s *Streams) Bytes() int64 {
	s.mu.RLock()
	all := make([]*Stream, 0, len(s.m))
	for _, st := range s.m {
		all = append(all, st)
	}
	s.mu.RUnlock()
	var n int64
	for _, st := range all {
		n += st.Bytes()
	}
	return n
}
