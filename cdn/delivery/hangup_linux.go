//go:build linux

package delivery

import (
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/internal/pollset"
)

// hangups tells waiting handlers that their clients hung up. fasthttp reads
// nothing while a handler runs and cancels nothing on disconnect, so the
// socket of each waiting request sits in one epoll set, armed for end of
// stream (EPOLLRDHUP), hang-up and error only: pipelined bytes, which leave
// the socket merely readable, are fasthttp's business. That set is itself
// in Go's network poller, so the one goroutine reading it parks without a
// thread. A connection accepted through Listener is registered at its
// first wait and stays registered until it closes, so its later waits
// cost no system call; any other connection costs two epoll_ctl calls a
// wait.
//
// Each registration carries an id of its own, never reused, rather than
// the descriptor's number: a connection closed right after its handler
// returns may hand its number to the next connection, and a report for the
// old one must never reach the new one.
type hangups struct {
	set  *pollset.Set
	done chan struct{} // closed when run returns

	mu   sync.Mutex // guards gone and next
	gone map[uint64]chan struct{}
	next uint64
}

// hangupEvents is what a registration waits for. EPOLLHUP and EPOLLERR are
// reported anyway; ONESHOT disarms a socket after its first report, so a
// hung-up socket, which stays ready, is not reported again and again until
// its handler deregisters it.
const hangupEvents = unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR | unix.EPOLLONESHOT

// newHangups opens the epoll set and starts the goroutine that reads it;
// close stops it.
func newHangups() (*hangups, error) {
	set, err := pollset.New("delivery hangups", 128)
	if err != nil {
		return nil, err
	}
	p := &hangups{set: set, done: make(chan struct{}), gone: make(map[uint64]chan struct{})}
	go p.run()
	return p, nil
}

// run closes the gone channel of each registration the set reports, until
// close.
func (p *hangups) run() {
	defer close(p.done)
	for {
		events, err := p.set.Wait()
		if err != nil {
			return
		}
		p.mu.Lock()
		for _, ev := range events {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if gone, ok := p.gone[id]; ok {
				close(gone)
				delete(p.gone, id)
			}
		}
		p.mu.Unlock()
	}
}

// close stops the goroutine and closes the set. Registrations still held
// are dropped with it; their stop calls then do nothing.
func (p *hangups) close() {
	if p == nil {
		return
	}
	_ = p.set.Close()
	<-p.done
}

// hangup is the registration of one waiting request, or of one
// connection of Listener's for its whole life (kept).
type hangup struct {
	p    *hangups
	conn syscall.RawConn
	id   uint64
	gone chan struct{}
	kept bool // stop leaves it; the connection's Close ends it
}

// watch registers a request's connection. It returns nil when it cannot
// (the connection is not a socket, or the set is closed); a nil hangup
// never reports. The caller must call stop before its handler returns.
func (p *hangups) watch(c net.Conn) *hangup {
	if p == nil {
		return nil
	}
	if lc, ok := c.(*conn); ok {
		return lc.watch(p)
	}
	return p.register(c)
}

// register adds c to the set, or returns nil.
func (p *hangups) register(c net.Conn) *hangup {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	conn, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &hangup{p: p, conn: conn, gone: make(chan struct{})}
	// The id is filed before the socket is added: a socket whose client
	// already left is reported at once.
	p.mu.Lock()
	p.next++
	w.id = p.next
	p.gone[w.id] = w.gone
	p.mu.Unlock()
	if err := w.ctl(unix.EPOLL_CTL_ADD); err != nil {
		p.forget(w.id)
		return nil
	}
	return w
}

// ctl adds the registration's socket to the set or deletes it.
func (w *hangup) ctl(op int) error {
	ev := unix.EpollEvent{Events: hangupEvents, Fd: int32(uint32(w.id)), Pad: int32(uint32(w.id >> 32))}
	var err error
	cerr := w.conn.Control(func(fd uintptr) {
		// The set's own Control stops it being closed, and its number
		// reused, while the call runs.
		perr := w.p.set.Control(func(epfd int) {
			err = unix.EpollCtl(epfd, op, int(fd), &ev)
		})
		if err == nil {
			err = perr
		}
	})
	if err == nil {
		err = cerr
	}
	return err
}

func (p *hangups) forget(id uint64) {
	p.mu.Lock()
	delete(p.gone, id)
	p.mu.Unlock()
}

// Gone returns a channel closed when the client hangs up.
func (w *hangup) Gone() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.gone
}

// stop deregisters the socket, unless the registration is kept. After it
// returns, nothing refers to the socket's descriptor, so its number may be
// reused safely.
func (w *hangup) stop() {
	if w == nil || w.kept {
		return
	}
	w.release()
}

func (w *hangup) release() {
	_ = w.ctl(unix.EPOLL_CTL_DEL)
	w.p.forget(w.id)
}

// watching returns how many sockets are registered now.
func (p *hangups) watching() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.gone)
}
