package delivery

import (
	"sync"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// condKind tells what a waiting request waits for.
type condKind uint8

const (
	// condPlaylist waits until hls.Check says a blocking playlist request
	// can be answered (or fails).
	condPlaylist condKind = iota + 1
	// condObject waits until segment msn holds part `part`, or, for part -1,
	// has bytes past offset off; or until it never will (it completed, a
	// later segment began, or the stream ended).
	condObject
)

// cond is what a request waits for. Requests waiting for the same thing
// share one group, so a change costs one test per distinct cond rather
// than one wake-up per request.
type cond struct {
	kind  condKind
	track int
	msn   int64
	part  int64
	off   int
}

// met reports whether the wait for c is over.
func (c cond) met(st *window.Stream) bool {
	if st.Ended() {
		return true
	}
	tr, ok := st.Track(c.track, false)
	if !ok {
		return true
	}
	switch c.kind {
	case condPlaylist:
		ready, err := hls.Check(tr, false, hls.Request{MSN: c.msn, Part: c.part})
		return ready || err != nil
	case condObject:
		seg, ok := tr.Segment(uint64(c.msn))
		if !ok {
			last, ok := tr.Last()
			return ok && int64(last.MSN) > c.msn
		}
		if seg.Complete() {
			return true
		}
		if c.part >= 0 {
			_, ok := seg.Part(int(c.part))
			return ok
		}
		return seg.Size() > c.off
	}
	return true
}

// group is the requests waiting for one cond.
type group struct {
	ready chan struct{} // closed when the cond is met
	n     int           // requests in the group; guarded by the lot's mu
}

// lot is one stream's waiting requests, and the goroutine that tests their
// conds at each change of the stream.
type lot struct {
	st   *window.Stream
	kick chan struct{} // a request left; lets run notice the lot emptied

	mu      sync.Mutex // guards groups and running
	groups  map[cond]*group
	running bool
}

// waiters owns every lot and their goroutines.
type waiters struct {
	done chan struct{} // closed by close
	wg   sync.WaitGroup

	mu     sync.Mutex // guards lots and closed; taken before a lot's mu
	lots   map[*window.Stream]*lot
	closed bool
}

func newWaiters() *waiters {
	return &waiters{done: make(chan struct{}), lots: make(map[*window.Stream]*lot)}
}

// join adds a request waiting for c on st and returns its group, or nil
// once the waiters are closed. The caller must test c after join and before
// waiting on the group, and call leave when it stops waiting.
func (w *waiters) join(st *window.Stream, c cond) (*lot, *group) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, nil
	}
	l := w.lots[st]
	if l == nil {
		l = &lot{st: st, kick: make(chan struct{}, 1), groups: make(map[cond]*group)}
		w.lots[st] = l
	}
	l.mu.Lock()
	g := l.groups[c]
	if g == nil {
		g = &group{ready: make(chan struct{})}
		l.groups[c] = g
	}
	g.n++
	if !l.running {
		l.running = true
		w.wg.Add(1)
		go w.run(l)
	}
	l.mu.Unlock()
	return l, g
}

// leave removes a request from its group.
func (w *waiters) leave(l *lot, g *group, c cond) {
	select {
	case <-g.ready:
		// run released the group and took it out of the lot already; its
		// count no longer matters.
		return
	default:
	}
	l.mu.Lock()
	g.n--
	if g.n == 0 && l.groups[c] == g {
		delete(l.groups, c)
	}
	empty := len(l.groups) == 0
	l.mu.Unlock()
	if empty {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// run tests the lot's conds now and after every change of its stream,
// releasing each group whose cond is met, until no request waits.
//
// A request cannot miss its wake-up: it joins before its own test, and run
// takes the change channel before each round of tests, so a change after
// the request's test either closes the channel run waits on, or comes
// before a round that already sees the request.
func (w *waiters) run(l *lot) {
	defer w.wg.Done()
	for {
		changed := l.st.Changed()
		l.mu.Lock()
		for c, g := range l.groups {
			if c.met(l.st) {
				close(g.ready)
				delete(l.groups, c)
			}
		}
		empty := len(l.groups) == 0
		l.mu.Unlock()
		if empty && w.retire(l) {
			return
		}
		select {
		case <-changed:
		case <-l.kick:
		case <-w.done:
			l.mu.Lock()
			l.running = false
			l.mu.Unlock()
			return
		}
	}
}

// retire forgets an empty lot and reports true, or reports false when a
// request joined meanwhile.
func (w *waiters) retire(l *lot) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.groups) > 0 {
		return false
	}
	l.running = false
	if w.lots[l.st] == l {
		delete(w.lots, l.st)
	}
	return true
}

// close stops every lot's goroutine; waiting requests see done closed.
func (w *waiters) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.done)
	}
	w.mu.Unlock()
	w.wg.Wait()
}
