package delivery

import (
	"sync"
	"time"

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
	// condGrow waits until segment msn has bytes past off or completes,
	// or part `part` (unless -1) completes, or the segment leaves the
	// window. The stream's end alone does not meet it: a response cut
	// short by the end waits out its stall limit, as a body does.
	condGrow
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
	if st.Ended() && c.kind != condGrow {
		return true
	}
	tr, ok := st.Track(c.track, false)
	if !ok {
		return true
	}
	switch c.kind {
	case condGrow:
		seg, ok := tr.Segment(uint64(c.msn))
		if !ok || seg.Complete() || seg.Size() > c.off {
			return true
		}
		if c.part >= 0 {
			p, ok := seg.Part(int(c.part))
			return !ok || p.Complete
		}
		return false
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
	waiting []*waiter // guarded by the lot's mu
}

// waiter is one waiting request. Each has a wake-up channel of its own, and
// its lot keeps its deadline, so that thousands woken at once neither take
// the lock of one shared channel nor touch the timer heap to leave their
// selects.
type waiter struct {
	wake     chan struct{} // one buffered signal: released or expired
	notify   func()        // called instead, with the lot's mu held, when wake is nil
	deadline time.Time     // set before join

	// Guarded by the lot's mu.
	g       *group // nil once out of its group
	i       int    // index in g.waiting
	expired bool   // woken by the deadline, not by its cond
}

func newWaiter() *waiter { return &waiter{wake: make(chan struct{}, 1)} }

// signal wakes wt; the lot's mu is held, so notify must not block.
func (wt *waiter) signal() {
	if wt.wake == nil {
		wt.notify()
		return
	}
	wt.wake <- struct{}{}
}

// remove takes wt out of g; the lot's mu is held.
func (g *group) remove(wt *waiter) {
	last := g.waiting[len(g.waiting)-1]
	g.waiting[wt.i], last.i = last, wt.i
	g.waiting[len(g.waiting)-1] = nil
	g.waiting = g.waiting[:len(g.waiting)-1]
	wt.g = nil
}

// release wakes every request of g; the lot's mu is held.
func (g *group) release() {
	for _, wt := range g.waiting {
		wt.g = nil
		wt.signal()
	}
	g.waiting = nil
}

// lot is one stream's waiting requests, and the goroutine that tests their
// conds at each change of the stream and wakes those whose deadline passed.
type lot struct {
	st   *window.Stream
	kick chan struct{} // a request left, or one came with an earlier deadline

	mu       sync.Mutex // guards groups, running and earliest
	groups   map[cond]*group
	running  bool
	earliest time.Time // no waiter's deadline is before it
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

// join adds wt, waiting for c on st until wt.deadline, and returns its lot,
// or nil once the waiters are closed. The caller must test c after join
// and before waiting on wt.wake, and call leave unless it was woken.
func (w *waiters) join(st *window.Stream, c cond, wt *waiter) *lot {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	l := w.lots[st]
	if l == nil {
		l = &lot{st: st, kick: make(chan struct{}, 1), groups: make(map[cond]*group)}
		w.lots[st] = l
	}
	l.mu.Lock()
	g := l.groups[c]
	if g == nil {
		g = &group{}
		l.groups[c] = g
	}
	wt.g, wt.i, wt.expired = g, len(g.waiting), false
	g.waiting = append(g.waiting, wt)
	sooner := l.earliest.IsZero() || wt.deadline.Before(l.earliest)
	if sooner {
		l.earliest = wt.deadline
	}
	if !l.running {
		l.running = true
		w.wg.Add(1)
		go w.run(l)
	} else if sooner {
		l.poke()
	}
	l.mu.Unlock()
	return l
}

// leave removes wt from its group, unless it was woken meanwhile, and
// empties its wake-up channel for the next join.
func (w *waiters) leave(l *lot, wt *waiter, c cond) {
	l.mu.Lock()
	empty := false
	if g := wt.g; g != nil {
		g.remove(wt)
		if len(g.waiting) == 0 && l.groups[c] == g {
			delete(l.groups, c)
		}
		empty = len(l.groups) == 0
	}
	l.mu.Unlock()
	select {
	case <-wt.wake:
	default:
	}
	if empty {
		l.poke()
	}
}

func (l *lot) poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// run tests the lot's conds now and after every change of its stream,
// releasing each group whose cond is met, and wakes requests whose
// deadline passed, until no request waits.
//
// A request cannot miss its wake-up: it joins before its own test, and run
// takes the change channel before each round of tests, so a change after
// the request's test either closes the channel run waits on, or comes
// before a round that already sees the request.
func (w *waiters) run(l *lot) {
	defer w.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var armed time.Time
	for {
		changed := l.st.Changed()
		l.mu.Lock()
		for c, g := range l.groups {
			if c.met(l.st) {
				g.release()
				delete(l.groups, c)
			}
		}
		if now := time.Now(); !l.earliest.IsZero() && !now.Before(l.earliest) {
			l.expire(now)
		}
		empty := len(l.groups) == 0
		earliest := l.earliest
		l.mu.Unlock()
		if empty && w.retire(l) {
			return
		}
		if !earliest.IsZero() && !earliest.Equal(armed) {
			timer.Reset(time.Until(earliest))
			armed = earliest
		}
		select {
		case <-changed:
		case <-l.kick:
		case <-timer.C:
			armed = time.Time{}
		case <-w.done:
			l.mu.Lock()
			l.running = false
			for _, g := range l.groups {
				g.release()
			}
			l.mu.Unlock()
			return
		}
	}
}

// expire wakes every request whose deadline is not after now, and finds
// the earliest deadline left; the lot's mu is held. It runs only when the
// earliest deadline has passed, so its scan is rare.
func (l *lot) expire(now time.Time) {
	l.earliest = time.Time{}
	for c, g := range l.groups {
		for i := 0; i < len(g.waiting); {
			wt := g.waiting[i]
			if now.Before(wt.deadline) {
				if l.earliest.IsZero() || wt.deadline.Before(l.earliest) {
					l.earliest = wt.deadline
				}
				i++
				continue
			}
			g.remove(wt)
			wt.expired = true
			wt.signal()
		}
		if len(g.waiting) == 0 {
			delete(l.groups, c)
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
	l.earliest = time.Time{}
	if w.lots[l.st] == l {
		delete(w.lots, l.st)
	}
	return true
}

// close stops every lot's goroutine; waiting requests are woken and find
// the waiters closed when they join again.
func (w *waiters) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.done)
	}
	w.mu.Unlock()
	w.wg.Wait()
}
