//go:build linux

package arrival

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Set reads many TCP connections from one goroutine: their sockets are
// non-blocking and in one epoll instance, and that instance is itself in
// Go's network poller, so Poll parks a goroutine rather than a thread.
// Reads and writes are plain system calls that allocate nothing. A Set is
// used by one goroutine at a time.
type Set struct {
	epfd   int
	file   *os.File // epfd, as the poller knows it
	rc     syscall.RawConn
	r      receiver
	fds    []int // by connection id; -1 once closed
	events []unix.EpollEvent
	buf    []byte

	// ready and its results are made once, so that a Poll allocates no
	// closure.
	ready func(uintptr) bool
	n     int
	werr  error
}

// NewSet returns an empty Set whose reads take at most bufSize bytes
// each (64 KiB when bufSize ≤ 0).
func NewSet(bufSize int) (*Set, error) {
	if bufSize <= 0 {
		bufSize = 64 << 10
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("arrival: epoll: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("arrival: epoll: %w", err)
	}
	// A non-blocking descriptor given to os.NewFile joins the poller.
	file := os.NewFile(uintptr(epfd), "epoll")
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	s := &Set{
		epfd:   epfd,
		file:   file,
		rc:     rc,
		events: make([]unix.EpollEvent, 256),
		buf:    make([]byte, bufSize),
	}
	s.ready = func(uintptr) bool {
		// The poller wakes on edges of the epoll descriptor's readiness,
		// so Poll looks before it parks and parks only on an empty wait.
		s.n, s.werr = s.wait()
		return s.werr != nil || s.n > 0
	}
	return s, nil
}

// Dial connects to addr (ip:port), enables receive timestamps and adds the
// connection to the set. It returns the connection's id: ids count from 0
// in the order of Dial.
func (s *Set) Dial(addr string) (int, error) {
	if s.file == nil {
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
		err = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
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
	if s.file == nil {
		return ErrClosed
	}
	if err := s.file.SetReadDeadline(deadline); err != nil {
		return err
	}
	err := s.rc.Read(s.ready)
	if err == nil {
		err = s.werr
	}
	n := s.n
	for err == nil {
		for _, ev := range s.events[:n] {
			s.read(int(ev.Fd), fn)
		}
		// Later events wait for the next Poll, unless this wait filled
		// the event list.
		if n < len(s.events) {
			return nil
		}
		n, err = s.wait()
	}
	return err
}

// wait returns the events ready now.
func (s *Set) wait() (int, error) {
	for {
		n, err := unix.EpollWait(s.epfd, s.events, 0)
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
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
	_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, nil)
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
	if s.file == nil {
		return ErrClosed
	}
	for id, fd := range s.fds {
		if fd >= 0 {
			unix.Close(fd)
			s.fds[id] = -1
		}
	}
	err := s.file.Close()
	s.file = nil
	return err
}
