//go:build linux

package arrival

import (
	"errors"
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Conn reads a TCP connection and tells when each read's bytes arrived.
// Reads park in Go's network poller and obey the connection's read
// deadline. A Conn is read by one goroutine at a time; writes and Close go
// to the connection.
type Conn struct {
	*net.TCPConn
	rc   syscall.RawConn
	r    receiver
	last Stamp
}

// NewConn enables receive timestamps on tc and returns a Conn reading it.
// Read tc only through the Conn from then on.
func NewConn(tc *net.TCPConn) (*Conn, error) {
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = Enable(int(fd)) }); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &Conn{TCPConn: tc, rc: rc}, nil
}

// Read reads like net.Conn's Read; Stamp then tells when the bytes
// arrived.
func (c *Conn) Read(p []byte) (int, error) {
	n, _, err := c.ReadStamped(p)
	return n, err
}

// ReadStamped reads into p and returns when the bytes arrived. It returns
// io.EOF once the peer closed and no byte is left.
func (c *Conn) ReadStamped(p []byte) (int, Stamp, error) {
	if len(p) == 0 {
		return 0, Stamp{}, nil
	}
	var (
		n    int
		st   Stamp
		rerr error
	)
	err := c.rc.Read(func(fd uintptr) bool {
		n, st, rerr = c.r.recv(int(fd), p)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, Stamp{}, wrapReadErr(err)
	}
	if n == 0 {
		return 0, Stamp{}, io.EOF
	}
	c.last = st
	return n, st, nil
}

// Stamp returns when the bytes of the last successful read arrived.
func (c *Conn) Stamp() Stamp { return c.last }

// wrapReadErr keeps the poller's errors (a passed deadline, a closed
// connection) as they are and wraps system call errors as net.Conn does.
func wrapReadErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &net.OpError{Op: "read", Net: "tcp", Err: errno}
	}
	return err
}
