//go:build linux

package arrival

import (
	"errors"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Enable asks the kernel to stamp the packets received on the socket fd.
// Packets already queued keep no stamp.
func Enable(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// oobSize holds a few control messages: a timestamp is 32 bytes with its
// header, SCM_TIMESTAMPING 64.
const oobSize = 128

// receiver makes recvmsg calls without allocating: its message header
// and buffers live as long as it does.
type receiver struct {
	msg unix.Msghdr
	iov unix.Iovec
	oob [oobSize]byte
}

// recv reads what fd holds into p without blocking (unix.EAGAIN if it
// holds nothing), and returns when it arrived.
func (r *receiver) recv(fd int, p []byte) (int, Stamp, error) {
	if len(p) == 0 {
		return 0, Stamp{}, nil
	}
	r.iov.Base = &p[0]
	r.iov.SetLen(len(p))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	r.msg.Control = &r.oob[0]
	r.msg.SetControllen(len(r.oob))
	r.msg.Flags = 0
	for {
		n, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.msg)), unix.MSG_DONTWAIT)
		switch errno {
		case 0:
		case unix.EINTR:
			continue
		default:
			return 0, Stamp{}, errno
		}
		// Drop the pointers into p, so the receiver does not keep a
		// caller's buffer alive.
		r.iov.Base = nil
		st := Stamp{Read: time.Now()}
		if n == 0 {
			return 0, st, nil
		}
		at, err := ParseControl(r.oob[:r.msg.Controllen])
		if errors.Is(err, ErrNoStamp) {
			err = nil
		}
		st.Last = at
		return int(n), st, err
	}
}
