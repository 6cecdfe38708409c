package window

import (
	"sort"
	"sync"
)

// Streams is the set of streams a server holds, by name.
type Streams struct {
	mu sync.RWMutex // guards m
	m  map[string]*Stream
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
		old.close()
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
		old.close()
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
