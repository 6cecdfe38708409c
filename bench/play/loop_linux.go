//go:build linux

package play

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/internal/pollset"
)

// Event loop settings.
const (
	// loopReadSize is what one read of a socket takes at most.
	loopReadSize = 64 << 10
	// maxUnasked bounds the bytes a connection may hold that no read has
	// asked for yet: the next responses of pipelined requests.
	maxUnasked = 8 << 20
	// sweepEvery is how often a loop looks for reads past their deadline.
	sweepEvery = 100 * time.Millisecond
)

var errUnasked = fmt.Errorf("play: server sent over %d bytes nobody asked for", maxUnasked)

// loops reads every viewer socket of a run from a few goroutines, each
// with its own epoll set. A viewer's goroutine sends its requests itself
// and waits while a loop frames the responses and feeds their media to
// the viewer's scanner, so a viewer wakes once per response instead of
// once per chunk, and a chunk costs one read instead of a read and
// another that finds nothing.
type loops struct {
	ls   []*loop
	next atomic.Uint32
}

// newDialer returns the run's way to open connections, and what to call
// when the run is over.
func newDialer() (dialFunc, func()) {
	ls, err := newLoops(runtime.GOMAXPROCS(0))
	if err != nil {
		return dialNet, func() {}
	}
	return ls.dial, ls.close
}

func newLoops(n int) (*loops, error) {
	ls := &loops{}
	for range n {
		l, err := newLoop()
		if err != nil {
			ls.close()
			return nil, err
		}
		ls.ls = append(ls.ls, l)
		go l.run()
	}
	return ls, nil
}

// dial connects to host and hands the socket to the next loop.
func (ls *loops) dial(ctx context.Context, host string) (wire, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return nil, err
	}
	// The copy shares the socket, which stays open when nc closes and
	// leaves Go's poller; it is non-blocking already.
	fd := -1
	cerr := rc.Control(func(s uintptr) { fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	if cerr != nil || err != nil {
		return nil, errors.Join(cerr, err)
	}
	l := ls.ls[int(ls.next.Add(1))%len(ls.ls)]
	return l.add(fd)
}

func (ls *loops) close() {
	for _, l := range ls.ls {
		l.close()
	}
}

// loop is one epoll set and the goroutine that reads it. Sockets are
// watched level-triggered: a read takes what fits in the buffer and the
// rest is reported again.
type loop struct {
	set   *pollset.Set
	buf   []byte
	batch []*loopWire
	done  chan struct{}

	mu     sync.Mutex // guards wires, free and closed
	wires  []*loopWire
	free   []int
	closed bool
}

func newLoop() (*loop, error) {
	set, err := pollset.New("play", 256)
	if err != nil {
		return nil, err
	}
	return &loop{set: set, buf: make([]byte, loopReadSize), done: make(chan struct{})}, nil
}

// run reads sockets as they become readable until the loop is closed.
func (l *loop) run() {
	defer close(l.done)
	swept := time.Now()
	for {
		_ = l.set.SetDeadline(time.Now().Add(sweepEvery))
		events, err := l.set.Wait()
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			events = nil
		case err != nil:
			return
		}
		for len(events) > 0 {
			l.mu.Lock()
			l.batch = l.batch[:0]
			for _, ev := range events {
				l.batch = append(l.batch, l.wires[ev.Fd])
			}
			l.mu.Unlock()
			for _, w := range l.batch {
				if w != nil {
					w.pump(l.buf)
				}
			}
			if !l.set.Full(events) {
				break
			}
			if events, err = l.set.Ready(); err != nil {
				return
			}
		}
		if now := time.Now(); now.Sub(swept) >= sweepEvery {
			l.sweep(now)
			swept = now
		}
	}
}

// sweep fails the reads whose deadline has passed.
func (l *loop) sweep(now time.Time) {
	l.mu.Lock()
	l.batch = append(l.batch[:0], l.wires...)
	l.mu.Unlock()
	for _, w := range l.batch {
		if w != nil {
			if d := w.deadline.Load(); d != 0 && now.UnixNano() > d {
				w.expire(now)
			}
		}
	}
}

// add watches fd, which the returned wire owns.
func (l *loop) add(fd int) (wire, error) {
	w := &loopWire{l: l, fd: fd, done: make(chan struct{}, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		unix.Close(fd)
		return nil, net.ErrClosed
	}
	if k := len(l.free); k > 0 {
		w.slot, l.free = l.free[k-1], l.free[:k-1]
		l.wires[w.slot] = w
	} else {
		w.slot = len(l.wires)
		l.wires = append(l.wires, w)
	}
	l.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(w.slot)}
	if err := l.set.Ctl(unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		w.close()
		return nil, fmt.Errorf("play: epoll add: %w", err)
	}
	return w, nil
}

// release frees w's slot.
func (l *loop) release(w *loopWire) {
	l.mu.Lock()
	if l.wires[w.slot] == w {
		l.wires[w.slot] = nil
		l.free = append(l.free, w.slot)
	}
	l.mu.Unlock()
}

// close stops the loop and closes what sockets it still holds.
func (l *loop) close() {
	l.mu.Lock()
	closed := l.closed
	l.closed = true
	ws := append([]*loopWire(nil), l.wires...)
	l.mu.Unlock()
	if closed {
		return
	}
	for _, w := range ws {
		if w != nil {
			w.close()
		}
	}
	l.set.Close()
	<-l.done
}

// loopWire is a socket in a loop. Whoever holds mu, the loop reading it
// or the viewer's goroutine writing it or asking for a response, owns the
// descriptor and the framing state.
type loopWire struct {
	l    *loop
	slot int
	done chan struct{} // the loop's signal that the read asked for is over

	// deadline is the waiting read's, in Unix nanoseconds; 0 when none.
	deadline atomic.Int64

	mu      sync.Mutex
	fd      int      // -1 once shut
	shutErr error    // why it was shut
	feed    feedFunc // the read a goroutine waits on done for; nil when none
	err     error    // how that read ended
	pending []byte   // bytes read that no read asked for yet
}

func (w *loopWire) write(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(p) > 0 {
		if w.fd < 0 {
			return w.shutErr
		}
		n, err := unix.Write(w.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return fmt.Errorf("play: write: send buffer full, the server is not reading: %w", err)
		case err != nil:
			return &net.OpError{Op: "write", Net: "tcp", Err: err}
		}
		p = p[n:]
	}
	return nil
}

func (w *loopWire) read(deadline time.Time, feed feedFunc) error {
	w.mu.Lock()
	if len(w.pending) > 0 {
		rest, done, err := feed(w.pending)
		w.pending = w.pending[:copy(w.pending, rest)]
		if len(w.pending) == 0 && cap(w.pending) > loopReadSize {
			w.pending = nil // a burst's buffer is not kept for the connection's life
		}
		if done || err != nil {
			w.mu.Unlock()
			return err
		}
	}
	if w.fd < 0 {
		w.mu.Unlock()
		return w.shutErr
	}
	w.feed, w.err = feed, nil
	if !deadline.IsZero() {
		w.deadline.Store(deadline.UnixNano())
	}
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	return err
}

// pump reads what the socket holds, once, into buf, and frames it.
func (w *loopWire) pump(buf []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return
	}
	var n int
	var err error
	for {
		n, err = unix.Read(w.fd, buf)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	switch {
	case errors.Is(err, unix.EAGAIN):
		return
	case err != nil:
		w.shut(&net.OpError{Op: "read", Net: "tcp", Err: err})
		return
	case n == 0:
		w.shut(io.EOF)
		return
	}
	data := buf[:n]
	if w.feed == nil {
		if len(w.pending)+n > maxUnasked {
			w.shut(errUnasked)
			return
		}
		w.pending = append(w.pending, data...)
		return
	}
	rest, done, err := w.feed(data)
	switch {
	case err != nil:
		w.finish(err)
	case done:
		w.pending = append(w.pending, rest...)
		w.finish(nil)
	}
}

// finish ends the read being served with err and wakes its goroutine.
func (w *loopWire) finish(err error) {
	w.feed, w.err = nil, err
	w.deadline.Store(0)
	w.done <- struct{}{}
}

// shut closes the socket for err, which ends the read being served and
// every later one.
func (w *loopWire) shut(err error) {
	if w.fd >= 0 {
		_ = w.l.set.Ctl(unix.EPOLL_CTL_DEL, w.fd, nil)
		unix.Close(w.fd)
		w.fd, w.shutErr = -1, err
	}
	if w.feed != nil {
		w.finish(err)
	}
}

// expire shuts the socket if its read is still waiting past its deadline.
func (w *loopWire) expire(now time.Time) {
	w.mu.Lock()
	if d := w.deadline.Load(); w.feed != nil && d != 0 && now.UnixNano() > d {
		w.shut(os.ErrDeadlineExceeded)
	}
	w.mu.Unlock()
}

// close shuts the socket and frees its slot; closing again does nothing.
func (w *loopWire) close() {
	w.mu.Lock()
	w.shut(net.ErrClosed)
	w.mu.Unlock()
	w.l.release(w)
}
