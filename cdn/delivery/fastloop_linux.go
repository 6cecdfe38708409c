package delivery

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/internal/pollset"
)

// fastWorker is one event loop: an epoll set in Go's poller, so that the
// goroutine running it parks without a thread when nothing is ready.
type fastWorker struct {
	f   *fastLoop
	set *pollset.Set

	conns  map[int32]*fastConn
	lastID int32
	parked map[parkKey]*parked

	load atomic.Int64 // connections held or given to it

	efd      int        // an eventfd rung by lots releasing a group, or a loop giving a connection
	mu       sync.Mutex // guards what follows
	woken    []*parked
	incoming []given
	rung     bool
	stopped  bool

	spareWoken    []*parked
	spareIncoming []given

	rbuf    []byte // requests read, until answered or kept
	hdr     []byte // scratch for a response's headers
	date    []byte
	dateSec int64
	sweepAt time.Time

	shed      int       // connections closed for a full hand-over queue, not yet logged
	shedLogAt time.Time // when they were last logged
}

// fastConn is a connection on the fast path; out and body are what is
// left of a response the socket could not take at once.
type fastConn struct {
	fd     int
	id     int32 // tags its epoll registration
	client netip.Addr
	unread []byte // the start of a request, or requests behind a response
	out    []byte
	body   fastBody
	tail   []byte      // sent after body
	queued int         // header bytes waiting in the socket for the file body
	close  bool        // close once the response is out
	since  int64       // unix nanoseconds of the last progress
	outErr bool        // waiting for EPOLLOUT
	wait   *fastWait   // the request waits in a group of the loop
	stream *fastStream // an object being streamed
	muted  bool        // parked with a full buffer: not read until answered
}

// outcome is what became of a request the loop looked at.
type outcome int

const (
	passOn   outcome = iota // the full server must answer it
	answered                // its answer is sent, or on its way
	parkedOn                // it waits for its part
	dropped                 // the connection broke and is closed
)

func (c *fastConn) pending() bool { return len(c.out) > 0 || c.body.size() > 0 || len(c.tail) > 0 }

// consume drops the first n bytes of out, body.mem and tail, which went
// out.
func (c *fastConn) consume(n int) {
	k := min(n, len(c.out))
	c.out, n = c.out[k:], n-k
	k = min(n, len(c.body.mem))
	c.body.mem, n = c.body.mem[k:], n-k
	c.tail = c.tail[n:]
}

func newFastWorker(f *fastLoop) (*fastWorker, error) {
	set, err := pollset.New("fastpath", 256)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		set.Close()
		return nil, err
	}
	w := &fastWorker{f: f, set: set, rbuf: make([]byte, readBufferSize),
		conns: make(map[int32]*fastConn), parked: make(map[parkKey]*parked), efd: efd}
	// Every loop waits on the listener; EPOLLEXCLUSIVE wakes one of them
	// for each connection rather than all.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(f.lfd)}
	err = set.Ctl(unix.EPOLL_CTL_ADD, f.lfd, &ev)
	if err == nil {
		ev = unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
		err = set.Ctl(unix.EPOLL_CTL_ADD, efd, &ev)
	}
	if err != nil {
		set.Close()
		unix.Close(efd)
		return nil, err
	}
	return w, nil
}

func (w *fastWorker) add(fd int, client netip.Addr, now time.Time) {
	w.lastID++
	c := &fastConn{fd: fd, id: w.lastID, client: client, since: now.UnixNano()}
	w.conns[int32(fd)] = c
	w.f.conns.Add(1)
	if err := w.watch(c, unix.EPOLL_CTL_ADD, unix.EPOLLIN); err != nil {
		w.drop(c)
	}
}

// watch registers c's descriptor for events, tagged with c's id: a
// descriptor closed and reused within one batch of events then cannot
// take the old connection's events for its own.
func (w *fastWorker) watch(c *fastConn, op int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(c.fd), Pad: c.id}
	return w.set.Ctl(op, c.fd, &ev)
}

const sweepEvery = time.Second

func (w *fastWorker) run() {
	defer w.f.wg.Done()
	defer w.stopWaking()
	defer w.dropAll()

	w.sweepAt = time.Now().Add(sweepEvery)
	_ = w.set.SetDeadline(w.sweepAt)
	for {
		events, err := w.set.Wait()
		now := time.Now()
		if errors.Is(err, os.ErrDeadlineExceeded) || !now.Before(w.sweepAt) {
			w.sweep(now)
			w.sweepAt = now.Add(sweepEvery)
			_ = w.set.SetDeadline(w.sweepAt)
			if err != nil {
				continue
			}
		}
		if err != nil {
			return
		}
		for _, ev := range events {
			switch {
			case int(ev.Fd) == w.f.lfd:
				w.accept(now)
			case int(ev.Fd) == w.efd:
				w.answerBell(now)
			default:
				if c := w.conns[ev.Fd]; c != nil && c.id == ev.Pad {
					w.handle(c, ev.Events, now)
				}
			}
		}
	}
}

func (w *fastWorker) handle(c *fastConn, events uint32, now time.Time) {
	if events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		w.drop(c)
		return
	}
	if c.pending() {
		if !w.flush(c, now) || c.pending() {
			return
		}
		c.outErr, c.muted = false, false
		if err := w.watch(c, unix.EPOLL_CTL_MOD, unix.EPOLLIN); err != nil {
			w.drop(c)
			return
		}
		w.next(c, now)
		return
	}
	if events&unix.EPOLLIN == 0 {
		return
	}
	// Requests are read into the loop's buffer, not one per connection,
	// so thousands of idle connections hold no buffer at all.
	k := copy(w.rbuf, c.unread)
	if k == len(w.rbuf) {
		w.mute(c) // only a connection with an answer under way keeps that much
		return
	}
	m, err := rawRead(c.fd, w.rbuf[k:])
	if errors.Is(err, unix.EAGAIN) {
		return
	}
	if err != nil || m == 0 {
		w.drop(c)
		return
	}
	c.since = now.UnixNano()
	w.serve(c, w.rbuf[:k+m], now)
}

// busy reports whether c has an answer under way, which the requests
// behind it wait for.
func (c *fastConn) busy() bool { return c.pending() || c.wait != nil || c.stream != nil }

// next goes on with c once an answer, or the part of it that could go,
// is out: it streams on, closes c if asked to, or serves what c sent
// meanwhile.
func (w *fastWorker) next(c *fastConn, now time.Time) {
	if c.pending() || c.wait != nil {
		return
	}
	if c.stream != nil {
		if w.pump(c, now) != answered || c.busy() {
			return
		}
	}
	if c.close {
		w.drop(c)
		return
	}
	if c.muted {
		c.muted = false
		if err := w.watch(c, unix.EPOLL_CTL_MOD, unix.EPOLLIN); err != nil {
			w.drop(c)
			return
		}
	}
	if len(c.unread) > 0 {
		w.serve(c, c.unread, now)
	}
}

// serve answers the requests in buf, read from c, while they are for
// complete objects or playlists and the socket takes the answers, and
// keeps the rest for later, behind a request that waits or an answer not
// all sent.
func (w *fastWorker) serve(c *fastConn, buf []byte, now time.Time) {
	for len(buf) > 0 && !c.busy() {
		rq, v := parseHead(buf)
		if v == headPartial && len(buf) < readBufferSize {
			break
		}
		out := passOn
		if v == headFast {
			out = w.answer(c, rq, now)
		}
		switch out {
		case passOn:
			w.handOver(c, buf)
			return
		case dropped:
			return
		}
		buf = buf[rq.size:]
		if c.close && !c.busy() {
			w.drop(c)
			return
		}
	}
	c.unread = append(c.unread[:0], buf...)
}

// answer answers rq, parks it, or passes it on.
func (w *fastWorker) answer(c *fastConn, rq reqHead, now time.Time) outcome {
	r, err := parseRoute(rq.path, w.f.h.cfg.UTCTimingPath)
	if err != nil {
		return passOn
	}
	switch r.kind {
	case routeTime:
		if rq.isHead {
			return passOn
		}
		w.f.h.count(kindTime)
		c.close = rq.close
		out := w.f.h.timeAnswer(w.hdr[:0], w.dateAt(now), now, rq.close)
		w.hdr = out[:0]
		if !w.send(c, out, fastBody{}, nil, now) {
			return dropped
		}
		return answered
	case routeMedia, routeMultivariant, routeMPD:
		return w.playlist(c, r, rq, now)
	case routeObject:
		return w.object(c, r, rq, now)
	}
	return passOn
}

// send writes hdr, body and tail, keeping what the socket does not take
// for flush. It reports false when c was dropped.
func (w *fastWorker) send(c *fastConn, hdr []byte, body fastBody, tail []byte, now time.Time) bool {
	c.since = now.UnixNano() // the limits run from the answer, not from a request that waited
	var n int
	var err error
	if body.seg == nil {
		n, err = rawWritev(c.fd, hdr, body.mem, tail)
	} else {
		n, err = rawSend(c.fd, hdr, unix.MSG_MORE)
	}
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		w.drop(c)
		return false
	}
	n = max(n, 0)
	if body.seg != nil {
		c.queued = n
	}
	if body.seg == nil && n == len(hdr)+len(body.mem)+len(tail) {
		return true
	}
	c.out = c.out[:0]
	if n < len(hdr) {
		c.out, n = append(c.out, hdr[n:]...), 0
	} else {
		n -= len(hdr)
	}
	c.body, c.tail = body, tail
	c.consume(n)
	if !c.pending() {
		return true
	}
	return w.flush(c, now) && w.waitOut(c)
}

// waitOut asks for EPOLLOUT while a response is unfinished.
func (w *fastWorker) waitOut(c *fastConn) bool {
	if !c.pending() || c.outErr {
		return true
	}
	c.outErr = true
	// Not EPOLLIN: requests pipelined meanwhile would wake the loop for
	// nothing until the answer is out. Nor EPOLLRDHUP: a client that
	// half-closes after its request still reads the answer.
	if err := w.watch(c, unix.EPOLL_CTL_MOD, unix.EPOLLOUT); err != nil {
		w.drop(c)
		return false
	}
	return true
}

// flush sends what is left of c's response until the socket is full. It
// reports false when c was dropped.
func (w *fastWorker) flush(c *fastConn, now time.Time) bool {
	for len(c.out) > 0 || len(c.body.mem) > 0 || (c.body.seg == nil && len(c.tail) > 0) {
		var n int
		var err error
		if c.body.seg != nil {
			n, err = rawSend(c.fd, c.out, unix.MSG_MORE)
		} else {
			n, err = rawWritev(c.fd, c.out, c.body.mem, c.tail)
		}
		if errors.Is(err, unix.EAGAIN) {
			return true
		}
		if err != nil {
			w.drop(c)
			return false
		}
		c.since = now.UnixNano()
		c.consume(n)
		if c.body.seg != nil {
			c.queued += n
		}
	}
	for c.body.seg != nil && c.body.n > 0 {
		var m int
		err := c.body.seg.WithFile(c.body.off, func(fd int, at int64) error {
			var err error
			m, err = rawSendfile(c.fd, fd, &at, packetSpan(at, c.body.n, c.queued))
			return err
		})
		if m > 0 {
			c.queued = 0
			c.body.off += m
			c.body.n -= m
			c.since = now.UnixNano()
		}
		switch {
		case errors.Is(err, unix.EAGAIN):
			return true
		case errors.Is(err, unix.EINTR):
		case err != nil || m == 0:
			// The segment left the window mid-send: the client sees a
			// short body, never a wrong one.
			w.f.h.stats.Aborted.Add(1)
			w.drop(c)
			return false
		}
	}
	if c.body.size() == 0 {
		c.body = fastBody{}
		if len(c.tail) > 0 {
			return w.flush(c, now)
		}
	}
	return true
}

// handOver moves c, with its unread bytes, to the full server.
func (w *fastWorker) handOver(c *fastConn, unread []byte) {
	w.forget(c)
	_ = w.set.Ctl(unix.EPOLL_CTL_DEL, c.fd, nil)
	file := os.NewFile(uintptr(c.fd), "")
	nc, err := net.FileConn(file)
	file.Close()
	if err != nil {
		w.f.h.log.Warn().Err(err).Msg("fast path: handing a connection over failed")
		return
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return
	}
	lc := &conn{TCPConn: tc, pre: append([]byte(nil), unread...)}
	select {
	case <-w.f.closed:
		lc.Close()
	case w.f.handed <- lc:
	default:
		lc.Close()
		w.shed++
		if now := time.Now(); now.Sub(w.shedLogAt) >= time.Second {
			w.f.h.log.Warn().Int("closed", w.shed).Int("queued", cap(w.f.handed)).
				Msg("fast path: the server is not taking connections handed over; closing them")
			w.shed, w.shedLogAt = 0, now
		}
	}
}

// forget takes c out of the loop's books, leaving its descriptor open.
func (w *fastWorker) forget(c *fastConn) {
	delete(w.conns, int32(c.fd))
	w.load.Add(-1)
	w.f.conns.Add(-1)
}

func (w *fastWorker) drop(c *fastConn) {
	if c.wait != nil {
		w.unpark(c)
	}
	if c.stream != nil {
		w.endStream(c, true)
	}
	w.forget(c)
	unix.Close(c.fd) // closing removes it from the epoll set
}

func (w *fastWorker) dropAll() {
	for _, c := range w.conns {
		w.drop(c)
	}
}

// sweep closes connections idle past the server's limits: a request not
// all there in readTimeout, a response not taken in writeTimeout, no
// request at all in idleTimeout.
func (w *fastWorker) sweep(now time.Time) {
	for _, c := range w.conns {
		limit := idleTimeout
		switch {
		case c.wait != nil:
			continue // its deadline is the lot's to keep
		case c.pending() && c.stream != nil:
			limit = w.f.h.cfg.WriteTimeout // a stream's limit is per write
		case c.pending():
			limit = writeTimeout
		case len(c.unread) > 0:
			limit = readTimeout
		}
		if now.UnixNano()-c.since > int64(limit) {
			w.drop(c)
		}
	}
}

// dateAt returns the Date header's value for now, formatted once a second.
func (w *fastWorker) dateAt(now time.Time) []byte {
	if s := now.Unix(); s != w.dateSec {
		w.dateSec = s
		w.date = now.UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	return w.date
}
