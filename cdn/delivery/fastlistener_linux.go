package delivery

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// FastListener wraps l, which must be a TCP listener, for a fasthttp
// server mounting h. Each connection it accepts starts on the fast path:
// an event loop per core that reads requests itself and answers what a
// player asks for (complete objects, playlists and the MPD, blocking
// reloads, which it parks, and objects still being written, which it
// streams) with raw system calls and no goroutine, timer or buffer of
// fasthttp's per request. A connection's first other request (a range,
// a preflight, a refused token, a bad directive...) hands the connection
// with its unread bytes to the server, through Accept, for the rest of
// its life. admit, if not nil, is asked before each answer.
func (h *Handler) FastListener(l net.Listener, admit Admit) (FastListener, error) {
	tl, ok := l.(*net.TCPListener)
	if !ok {
		return nil, errors.New("delivery: the fast path needs a TCP listener")
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, err
	}
	// The loops accept on a duplicate of the listener's descriptor, in
	// their own epoll sets: Go's poller will not wait on a listener for
	// anyone but its own Accept.
	lfd := -1
	cerr := rc.Control(func(fd uintptr) { lfd, err = unix.Dup(int(fd)) })
	if cerr != nil || err != nil {
		return nil, errors.Join(cerr, err)
	}
	f := &fastLoop{
		h: h, ln: tl, lfd: lfd, admit: admit,
		handed: make(chan net.Conn, handOverQueue),
		closed: make(chan struct{}),
	}
	for range runtime.GOMAXPROCS(0) {
		w, err := newFastWorker(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.workers = append(f.workers, w)
	}
	f.wg.Add(len(f.workers))
	for _, w := range f.workers {
		go w.run()
	}
	return f, nil
}

// handOverQueue bounds the connections handed over and not yet taken by
// the server's Accept. A loop never waits for room: it closes the
// connection instead, so a server that falls behind costs the clients
// being handed over, not every client of the loop.
var handOverQueue = 1024

type fastLoop struct {
	h       *Handler
	ln      *net.TCPListener
	lfd     int // the listener's descriptor, duplicated
	admit   Admit
	workers []*fastWorker
	handed  chan net.Conn
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	conns   atomic.Int64
}

func (f *fastLoop) Accept() (net.Conn, error) {
	select {
	case c := <-f.handed:
		return c, nil
	case <-f.closed:
		return nil, net.ErrClosed
	}
}

func (f *fastLoop) Addr() net.Addr { return f.ln.Addr() }

func (f *fastLoop) Conns() int { return int(f.conns.Load()) }

// Close stops accepting, closes every connection still on the fast path
// and waits for the loops; connections handed over are the server's.
func (f *fastLoop) Close() error {
	f.once.Do(func() {
		close(f.closed)
		for _, w := range f.workers {
			_ = w.set.Close()
		}
		f.wg.Wait()
		unix.Close(f.lfd)
		_ = f.ln.Close()
		for {
			select {
			case c := <-f.handed:
				c.Close() // handed over, never taken
			default:
				return
			}
		}
	})
	return nil
}

// accept takes one connection waiting on the listener. Taking one a turn
// spreads a burst of them over the loops, which all see the listener
// ready until its queue is empty.
func (w *fastWorker) accept(now time.Time) {
	for {
		fd, sa, err := unix.Accept4(w.f.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
			continue
		case err != nil:
			// Out of descriptors, most likely: the connection waits in the
			// backlog until one is free.
			w.f.h.log.Warn().Err(err).Msg("fast path: accept failed")
			return
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		// The listener wakes some loops far more often than others, so
		// each connection goes to the loop holding the fewest.
		to := w.f.lightest(w)
		to.load.Add(1)
		if to != w {
			to.give(fd, sockAddr(sa))
			return
		}
		w.add(fd, sockAddr(sa), now)
		return
	}
}

// lightest returns the loop holding the fewest connections, w on a tie.
func (f *fastLoop) lightest(w *fastWorker) *fastWorker {
	best, least := w, w.load.Load()
	for _, o := range f.workers {
		if n := o.load.Load(); n < least {
			best, least = o, n
		}
	}
	return best
}

// given is a connection one loop accepted for another.
type given struct {
	fd     int
	client netip.Addr
}

func sockAddr(sa unix.Sockaddr) netip.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr).Unmap()
	}
	return netip.Addr{}
}
