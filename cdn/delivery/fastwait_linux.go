package delivery

import (
	"encoding/binary"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// A request the loop cannot answer yet (a blocking playlist reload, an
// object yet to begin, a stream waiting for its next bytes) is parked:
// its connection stays in the loop, and joins the loop's group of
// requests waiting for the same thing of the same stream. The group holds
// one waiter in the stream's lot, which, when the thing comes or the
// group's deadline passes, queues the group for its loop and rings the
// loop's eventfd. The loop then answers the whole group, with no
// goroutine woken per request.

// parkKey names the requests of one loop waiting for the same thing.
type parkKey struct {
	st *window.Stream
	c  cond
}

// parked is a loop's requests waiting for one cond, and the waiter that
// holds their place in the stream's lot.
type parked struct {
	key parkKey
	wt  *waiter
	lot *lot
	// conns are in the order they parked, so in the order of their
	// deadlines, the first one's being the waiter's; nil where one hung up.
	conns []*fastConn
	live  int
}

// fastWait is a parked request: a blocking playlist request, or a
// request for an object that waits for it to begin or to grow.
type fastWait struct {
	group    *parked
	i        int // in group.conns
	st       *window.Stream
	cd       cond // what it waits for
	deadline time.Time
	blocked  bool // counted in Stats.Blocked, as a wait the full server makes in await

	// A playlist request.
	tr    *window.Track
	req   hls.Request
	start time.Time

	obj *fastStream // an object request
}

// rejoinSlack is the least time a group parked again waits before its
// deadline is looked at: requests that came in a burst then time out
// together rather than a round each.
const rejoinSlack = 25 * time.Millisecond

// park files c's request, wt, in the loop's group for what it waits
// for, cd; tested is the stream's version read before its last look.
func (w *fastWorker) park(c *fastConn, wt *fastWait, cd cond, tested uint64, now time.Time) outcome {
	h := w.f.h
	wt.cd = cd
	key := parkKey{st: wt.st, c: cd}
	g := w.parked[key]
	if g == nil {
		g = &parked{key: key, wt: &waiter{deadline: maxTime(wt.deadline, now.Add(rejoinSlack))}}
		g.wt.notify = func() { w.ring(g) }
		g.lot = h.waits.join(wt.st, key.c, g.wt)
		if g.lot == nil {
			return w.closed(c, wt, now)
		}
		// A change between the last look and the join went unseen by the
		// lot; as in await, only a moved version needs another look.
		if wt.st.Version() != tested {
			h.waits.leave(g.lot, g.wt, key.c)
			return w.resume(c, wt, now)
		}
		w.parked[key] = g
	}
	wt.group, wt.i = g, len(g.conns)
	g.conns = append(g.conns, c)
	g.live++
	c.wait = wt
	if wt.blocked {
		h.stats.Blocked.Add(1)
	}
	return parkedOn
}

// closed answers a request that cannot wait, the handler being closed.
func (w *fastWorker) closed(c *fastConn, wt *fastWait, now time.Time) outcome {
	if wt.obj != nil && wt.obj.begun {
		w.drop(c) // the body is cut short, as a closing handler cuts bodies
		return dropped
	}
	w.f.h.stats.Cancelled.Add(1)
	return w.sendError(c, statusOf(ErrClosed), now)
}

// resume looks again at what a request waits for: it answers, goes on
// streaming, or parks it again.
func (w *fastWorker) resume(c *fastConn, wt *fastWait, now time.Time) outcome {
	if s := wt.obj; s != nil {
		if s.begun {
			return w.pump(c, now)
		}
		return w.begin(c, s, now, false)
	}
	tested := wt.st.Version()
	ready, err := hls.Check(wt.tr, wt.st.Ended(), wt.req)
	return w.settle(c, wt, ready, err, tested, now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ring queues g for the loop and wakes it; the lot calls it with its mu
// held.
func (w *fastWorker) ring(g *parked) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.woken = append(w.woken, g)
		w.bellLocked()
	}
}

// give queues a connection another loop accepted for this one.
func (w *fastWorker) give(fd int, client netip.Addr) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		unix.Close(fd)
		return
	}
	w.incoming = append(w.incoming, given{fd, client})
	w.bellLocked()
}

// bellLocked wakes the loop, once until it answers; w.mu is held.
func (w *fastWorker) bellLocked() {
	if !w.rung {
		w.rung = true
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(w.efd, one[:])
	}
}

// answerBell takes in the connections given to the loop, and answers, or
// parks again, the requests of every group the lots released.
func (w *fastWorker) answerBell(now time.Time) {
	var b [8]byte
	_, _ = rawRead(w.efd, b[:])
	w.mu.Lock()
	woken, incoming := w.woken, w.incoming
	w.woken, w.incoming = w.spareWoken[:0], w.spareIncoming[:0]
	w.rung = false
	w.mu.Unlock()
	for _, in := range incoming {
		w.add(in.fd, in.client, now)
	}
	for i, g := range woken {
		w.release(g, now)
		woken[i] = nil
	}
	w.spareWoken, w.spareIncoming = woken[:0], incoming[:0]
}

// release looks again at the requests of g, which its lot released:
// those of a playlist group all at once, since they wait for the same
// thing.
func (w *fastWorker) release(g *parked, now time.Time) {
	if w.parked[g.key] == g {
		delete(w.parked, g.key)
	}
	conns := g.conns
	g.conns, g.live = nil, 0
	var ready bool
	var err error
	tested := g.key.st.Version()
	checked := false
	for _, c := range conns {
		if c == nil {
			continue
		}
		if !checked && g.key.c.kind == condPlaylist {
			first := c.wait
			ready, err = hls.Check(first.tr, first.st.Ended(), first.req)
			checked = true
		}
		wt := c.wait
		c.wait = nil
		if wt.blocked {
			w.f.h.stats.Blocked.Add(-1)
		}
		var out outcome
		if wt.obj != nil {
			out = w.resume(c, wt, now)
		} else {
			out = w.settle(c, wt, ready, err, tested, now)
		}
		if out == answered {
			w.next(c, now)
		}
	}
}

// mute stops reading a parked c whose unread requests fill the loop's
// buffer until its answer is out. A hang-up then shows when the answer is
// written, at the latest at the blocking limit.
func (w *fastWorker) mute(c *fastConn) {
	c.muted = true
	if err := w.watch(c, unix.EPOLL_CTL_MOD, 0); err != nil {
		w.drop(c)
	}
}

// unpark takes a parked c, which hung up, out of its group, and the group
// out of its lot once empty.
func (w *fastWorker) unpark(c *fastConn) {
	wt := c.wait
	g := wt.group
	g.conns[wt.i] = nil
	g.live--
	c.wait = nil
	if wt.blocked {
		w.f.h.stats.Blocked.Add(-1)
		w.f.h.stats.Cancelled.Add(1)
	}
	if g.live == 0 && w.parked[g.key] == g {
		delete(w.parked, g.key)
		w.f.h.waits.leave(g.lot, g.wt, g.key.c)
	}
}

// stopWaking makes ring a no-op and closes the eventfd, once the loop
// is done.
func (w *fastWorker) stopWaking() {
	w.mu.Lock()
	w.stopped = true
	for _, in := range w.incoming {
		unix.Close(in.fd)
	}
	w.incoming = nil
	w.mu.Unlock()
	unix.Close(w.efd)
}
