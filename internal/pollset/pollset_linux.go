//go:build linux

// Package pollset is an epoll instance that waits inside Go's network
// poller. Its own descriptor is non-blocking and registered with the
// runtime, so a goroutine waiting on the set is parked, not a thread, and
// wakes when any descriptor in the set becomes ready, or at a deadline.
// The event loops of the delivery fast path and of the bench clients are
// built on it.
package pollset

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Set is one epoll instance. Wait, Ready and SetDeadline are for the one
// goroutine that reads the set; Ctl, Control and Close may be called from
// any.
type Set struct {
	fd     int
	file   *os.File // fd, as the poller knows it
	rc     syscall.RawConn
	events []unix.EpollEvent
	n      int
	err    error
	// ready is bound once, so that a Wait allocates no closure.
	ready func(uintptr) bool
}

// New opens a set that reports up to size events per Wait; name labels
// its descriptor.
func New(name string, size int) (*Set, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%s: epoll: %w", name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: epoll: %w", name, err)
	}
	// A non-blocking descriptor given to os.NewFile joins the poller.
	file := os.NewFile(uintptr(fd), name)
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: epoll: %w", name, err)
	}
	s := &Set{fd: fd, file: file, rc: rc, events: make([]unix.EpollEvent, max(size, 1))}
	s.ready = func(uintptr) bool {
		// The poller reports edges of the set's own readiness, so Wait
		// looks before it parks and parks only on an empty set.
		s.n, s.err = s.poll()
		return s.err != nil || s.n > 0
	}
	return s, nil
}

// Ctl adds, modifies or removes fd (unix.EPOLL_CTL_*).
func (s *Set) Ctl(op, fd int, ev *unix.EpollEvent) error {
	return unix.EpollCtl(s.fd, op, fd, ev)
}

// Control runs f with the epoll descriptor while Close cannot close it.
func (s *Set) Control(f func(epfd int)) error {
	return s.rc.Control(func(fd uintptr) { f(int(fd)) })
}

// SetDeadline bounds the waits to come: past t, Wait returns
// os.ErrDeadlineExceeded until a later deadline is set. Zero means none.
func (s *Set) SetDeadline(t time.Time) error { return s.file.SetReadDeadline(t) }

// Wait parks until some descriptors are ready, and returns their events,
// valid until the next Wait or Ready. A batch as long as the set's size
// may leave more ready: Ready takes them without parking.
func (s *Set) Wait() ([]unix.EpollEvent, error) {
	if err := s.rc.Read(s.ready); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.events[:s.n], nil
}

// Ready returns the events ready now, without parking.
func (s *Set) Ready() ([]unix.EpollEvent, error) {
	n, err := s.poll()
	if err != nil {
		return nil, err
	}
	return s.events[:n], nil
}

// Full reports whether events filled the whole batch, so more may be
// ready.
func (s *Set) Full(events []unix.EpollEvent) bool { return len(events) == len(s.events) }

// Close closes the set; a Wait in progress returns an error.
func (s *Set) Close() error { return s.file.Close() }

// poll is epoll_wait with no timeout, as a raw system call: it never
// blocks, so the runtime's bookkeeping for a call that might would cost
// more than the call.
func (s *Set) poll() (int, error) {
	for {
		n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(s.fd), uintptr(unsafe.Pointer(&s.events[0])), uintptr(len(s.events)), 0, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return 0, e
		}
		return int(n), nil
	}
}
