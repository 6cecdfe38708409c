package delivery

import (
	"errors"
	"io"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/packager/window"
)

const canSendFile = true

// sendFile sends n bytes of seg from byte off on with sendfile. It waits
// for the socket in the runtime's poller, not in the kernel, so the
// connection's write deadline applies and the window's file is held only
// while a call runs.
func sendFile(conn syscall.RawConn, seg *window.Segment, off, n int) (int, error) {
	sent := 0
	var serr error
	err := conn.Write(func(sock uintptr) bool {
		for sent < n {
			var m int
			err := seg.WithFile(off+sent, func(fd int, at int64) error {
				var err error
				m, err = unix.Sendfile(int(sock), fd, &at, n-sent)
				return err
			})
			if m > 0 {
				sent += m
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.EAGAIN):
				return false
			case err != nil:
				serr = err
				return true
			case m == 0:
				serr = io.ErrUnexpectedEOF
				return true
			}
		}
		return true
	})
	if serr != nil {
		return sent, serr
	}
	return sent, err
}

// cork holds back (on) or lets go (off) the socket's partial packets, so
// that headers fasthttp writes before a sendfile leave in the same packet
// as the body instead of one of their own.
func cork(conn syscall.RawConn, on bool) {
	v := 0
	if on {
		v = 1
	}
	_ = conn.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, v)
	})
}
