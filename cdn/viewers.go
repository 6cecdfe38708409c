package cdn

import (
	"net/netip"
	"sync"
	"time"
)

// viewers counts a stream's viewers approximately, as the distinct client
// addresses that asked for any of its objects or playlists within the
// viewer window. Clients behind one NAT count once, and a viewer who left
// counts until the window passes; both are fine for load reports and for
// telling when a drain is over.
type viewers struct {
	mu   sync.Mutex                      // guards seen
	seen map[string]map[netip.Addr]int64 // stream → client → unix nanoseconds of its last request
}

func newViewers() *viewers { return &viewers{seen: make(map[string]map[netip.Addr]int64)} }

// saw records a request for stream name from client a.
func (v *viewers) saw(name []byte, a netip.Addr, now time.Time) {
	v.mu.Lock()
	m := v.seen[string(name)]
	if m == nil {
		m = make(map[netip.Addr]int64)
		v.seen[string(name)] = m
	}
	m[a] = now.UnixNano()
	v.mu.Unlock()
}

// active reports whether client a asked for stream name since then.
func (v *viewers) active(name []byte, a netip.Addr, since time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.seen[string(name)][a]
	return ok && t >= since.UnixNano()
}

// counts forgets clients not seen since then and returns the viewers of
// every stream that has any.
func (v *viewers) counts(since time.Time) map[string]int {
	cut := since.UnixNano()
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.seen))
	for name, m := range v.seen {
		for a, t := range m {
			if t < cut {
				delete(m, a)
			}
		}
		if len(m) == 0 {
			delete(v.seen, name)
			continue
		}
		out[name] = len(m)
	}
	return out
}

// forget drops a stream's viewers, when the edge drops the stream.
func (v *viewers) forget(name string) {
	v.mu.Lock()
	delete(v.seen, name)
	v.mu.Unlock()
}
