//go:build linux

package arrival

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/internal/pollset"
)

// Set reads many TCP connections from one goroutine: their sockets are
// non-blocking and in one epoll instance, and that instance is itself in
// Go's network poller, so Poll parks a goroutine rather than a thread.
// Reads and writes are plain system calls that allocate nothing. A Set is
// used by one goroutine at a time.
type Set struct {
	set *pollset.Set // nil once closed
	r   receiver
	fds []int // by connection id; -1 once closed
	buf []byte
}

// NewSet returns an empty Set whose reads take at most bufSize bytes
// each (64 KiB when bufSize ≤ 0).
func NewSet(bufSize int) (*Set, error) {
	if bufSize <= 0 {
		bufSize = 64 << 10
	}
	set, err := pollset.New("arrival", 256)
	if err != nil {
		return nil, err
	}
	return &Set{set: set, buf: make([]byte, bufSize)}, nil
}

// Dial connects to addr (ip:port), enables receive timestamps and adds the
// connection to the set. It returns the connection's id: ids count from 0
// in the order of Dial.
func (s *Set) Dial(addr string) (int, error) {
	if s.set == nil {
		return 0, ErrClosed
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return 0, fmt.Errorf("arrival: dial %q: %w", addr, err)
	}
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("arrival: socket: %w", err)
	}
	// The connect blocks the thread briefly; on loopback it completes as
	// soon as the listener's queue has room.
	for {
		err = unix.Connect(fd, sa)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err == nil {
		err = Enable(fd)
	}
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	id := len(s.fds)
	if err == nil {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(id)}
		err = s.set.Ctl(unix.EPOLL_CTL_ADD, fd, &ev)
	}
	if err != nil {
		unix.Close(fd)
		return 0, fmt.Errorf("arrival: dial %s: %w", addr, err)
	}
	s.fds = append(s.fds, fd)
	return id, nil
}

// Len returns the number of connections dialled, closed ones included.
func (s *Set) Len() int { return len(s.fds) }

// Write sends p on connection id in one system call. It returns
// ErrShortWrite when the send buffer takes only part of p, which for a
// request of a few hundred bytes means the server stopped reading.
func (s *Set) Write(id int, p []byte) error {
	fd, err := s.fd(id)
	if err != nil {
		return err
	}
	for {
		n, err := unix.Write(fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("arrival: write %d: %w", id, err)
		case n < len(p):
			return ErrShortWrite
		}
		return nil
	}
}

// Poll waits until some connections have bytes, or the deadline passes
// (os.ErrDeadlineExceeded; zero means no deadline), then reads each once
// and calls fn with its id, the bytes, valid only during the call, and
// when they arrived. A connection the peer closed is reported with io.EOF
// or its error, and then closed. fn may Write and CloseConn.
func (s *Set) Poll(deadline time.Time, fn func(id int, data []byte, at Stamp, err error)) error {
	if s.set == nil {
		return ErrClosed
	}
	if err := s.set.SetDeadline(deadline); err != nil {
		return err
	}
	events, err := s.set.Wait()
	for err == nil {
		for _, ev := range events {
			s.read(int(ev.Fd), fn)
		}
		// Later events wait for the next Poll, unless this wait filled
		// the event list.
		if !s.set.Full(events) {
			return nil
		}
		events, err = s.set.Ready()
	}
	return err
}

// read reads connection id once and reports the result to fn.
func (s *Set) read(id int, fn func(int, []byte, Stamp, error)) {
	fd, err := s.fd(id)
	if err != nil {
		return
	}
	n, at, err := s.r.recv(fd, s.buf)
	switch {
	case errors.Is(err, unix.EAGAIN):
		return
	case err == nil && n == 0:
		err = io.EOF
	}
	if err != nil {
		s.CloseConn(id)
		fn(id, nil, Stamp{}, err)
		return
	}
	fn(id, s.buf[:n], at, nil)
}

// CloseConn closes connection id; it is no longer polled.
func (s *Set) CloseConn(id int) error {
	fd, err := s.fd(id)
	if err != nil {
		return err
	}
	s.fds[id] = -1
	_ = s.set.Ctl(unix.EPOLL_CTL_DEL, fd, nil)
	return unix.Close(fd)
}

func (s *Set) fd(id int) (int, error) {
	if id < 0 || id >= len(s.fds) {
		return -1, fmt.Errorf("arrival: no connection %d", id)
	}
	if s.fds[id] < 0 {
		return -1, ErrClosed
	}
	return s.fds[id], nil
}

// Close closes every connection and the epoll instance.
func (s *Set) Close() error {
	if s.set == nil {
		return ErrClosed
	}
	for id, fd := range s.fds {
		if fd >= 0 {
			unix.Close(fd)
			s.fds[id] = -1
		}
	}
	err := s.set.Close()
	s.set = nil
	return err
}
