package cdn

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
)

// viewers counts a stream's viewers approximately, as the distinct client
// addresses that asked for any of its objects or playlists within the
// viewer window. Clients behind one NAT count once, and a viewer who left
// counts until the window passes; both are fine for load reports and for
// telling when a drain is over.
//
// Every request records its client, from every event loop of the fast
// path, so a client already known is recorded under a shared lock, and
// clients are spread over shards by address: loops rarely wait for one
// another.
type viewers struct {
	shards [viewerShards]viewerShard
}

const viewerShards = 16

type viewerShard struct {
	mu   sync.RWMutex                            // guards seen's maps, not the times in them
	seen map[string]map[netip.Addr]*atomic.Int64 // stream → client → unix nanoseconds of its last request
	_    [64]byte                                // keeps shards' locks off one another's cache lines
}

func newViewers() *viewers {
	v := &viewers{}
	for i := range v.shards {
		v.shards[i].seen = make(map[string]map[netip.Addr]*atomic.Int64)
	}
	return v
}

// shard returns the shard that records client a.
func (v *viewers) shard(a netip.Addr) *viewerShard {
	b := a.As16()
	return &v.shards[xxhash.Sum64(b[:])%viewerShards]
}

// saw records a request for stream name from client a.
func (v *viewers) saw(name []byte, a netip.Addr, now time.Time) {
	s := v.shard(a)
	s.mu.RLock()
	t := s.seen[string(name)][a]
	if t != nil {
		t.Store(now.UnixNano())
	}
	s.mu.RUnlock()
	if t != nil {
		return
	}
	s.mu.Lock()
	m := s.seen[string(name)]
	if m == nil {
		m = make(map[netip.Addr]*atomic.Int64)
		s.seen[string(name)] = m
	}
	if t = m[a]; t == nil {
		t = new(atomic.Int64)
		m[a] = t
	}
	t.Store(now.UnixNano())
	s.mu.Unlock()
}

// active reports whether client a asked for stream name since then.
func (v *viewers) active(name []byte, a netip.Addr, since time.Time) bool {
	s := v.shard(a)
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.seen[string(name)][a]
	return t != nil && t.Load() >= since.UnixNano()
}

// counts forgets clients not seen since then and returns the viewers of
// every stream that has any.
func (v *viewers) counts(since time.Time) map[string]int {
	cut := since.UnixNano()
	out := make(map[string]int)
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		for name, m := range s.seen {
			for a, t := range m {
				if t.Load() < cut {
					delete(m, a)
				}
			}
			if len(m) == 0 {
				delete(s.seen, name)
				continue
			}
			out[name] += len(m)
		}
		s.mu.Unlock()
	}
	return out
}

// forget drops a stream's viewers, when the edge drops the stream.
func (v *viewers) forget(name string) {
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		delete(s.seen, name)
		s.mu.Unlock()
	}
}
