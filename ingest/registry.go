package ingest

import (
	"fmt"
	"sync"
	"time"
)

// registry maps stream names to their packager streams and enforces one
// publisher per name and the publisher limit. A stream outlives its
// publisher by the linger time so a reconnecting encoder continues the same
// window; after that it is ended, and removed once its window has played
// out.
type registry struct {
	linger        time.Duration
	removeAfter   time.Duration
	maxPublishers int
	// open creates the stream for name and makes it visible to viewers;
	// drop removes it. Both are called with mu held.
	open func(name string) liveStream
	drop func(name string)

	mu      sync.Mutex // guards entries, active, closed and every entry
	entries map[string]*entry
	active  int
	closed  bool
}

// entry is one stream name's state. Its fields are guarded by registry.mu.
type entry struct {
	stream liveStream
	live   bool // a publisher holds the lease
	ended  bool // End was called; the stream waits for removal
	timer  *time.Timer
	// gen invalidates timers that fired after the entry moved on.
	gen uint64
}

func newRegistry(linger, removeAfter time.Duration, maxPublishers int,
	open func(string) liveStream, drop func(string)) *registry {
	return &registry{
		linger: linger, removeAfter: removeAfter, maxPublishers: maxPublishers,
		open: open, drop: drop, entries: make(map[string]*entry),
	}
}

// lease is one publisher's hold on a stream name.
type lease struct {
	r      *registry
	name   string
	stream liveStream
	once   sync.Once
}

// acquire claims name for a publisher. A name that still has a stream
// (its publisher left less than linger ago) gets that stream back.
func (r *registry) acquire(name string) (*lease, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrShutdown
	}
	e := r.entries[name]
	if e != nil && e.live {
		return nil, fmt.Errorf("%w: %s", ErrBusy, name)
	}
	if r.active >= r.maxPublishers {
		return nil, fmt.Errorf("%w (limit %d)", ErrTooManyPublishers, r.maxPublishers)
	}
	if e != nil && e.ended {
		// The old window has ended; a new publisher starts a new stream.
		r.drop(name)
		e = nil
	}
	if e == nil {
		e = &entry{stream: r.open(name)}
		r.entries[name] = e
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.gen++
	e.live = true
	r.active++
	return &lease{r: r, name: name, stream: e.stream}, nil
}

// release gives the name back and starts the linger timer. It is safe to
// call more than once.
func (l *lease) release() {
	l.once.Do(func() { l.r.release(l.name) })
}

func (r *registry) release(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[name]
	if e == nil || !e.live {
		return
	}
	e.live = false
	r.active--
	if r.closed {
		return
	}
	e.gen++
	gen := e.gen
	e.timer = time.AfterFunc(r.linger, func() { r.expire(name, gen) })
}

// expire ends a stream nobody republished within the linger time.
func (r *registry) expire(name string, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[name]
	if r.closed || e == nil || e.gen != gen || e.live {
		return
	}
	e.stream.End()
	e.ended = true
	e.timer = time.AfterFunc(r.removeAfter, func() { r.remove(name, gen) })
}

// remove forgets an ended stream once its window has played out.
func (r *registry) remove(name string, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[name]
	if r.closed || e == nil || e.gen != gen || !e.ended {
		return
	}
	r.drop(name)
	delete(r.entries, name)
}

// activePublishers returns the number of leases held.
func (r *registry) activePublishers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

// close stops every timer and ends every stream not ended yet. Leases still
// held stay valid until released, but no new one is granted.
func (r *registry) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for _, e := range r.entries {
		if e.timer != nil {
			e.timer.Stop()
		}
		if !e.ended {
			e.stream.End()
			e.ended = true
		}
	}
}
