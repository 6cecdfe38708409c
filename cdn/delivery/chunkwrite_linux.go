package delivery

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// chunkWriter writes HTTP/1.1 chunks straight to the socket, each in one
// writev of its size line, its bytes and the CRLF that ends it, behind the
// response's headers when the connection held them back (conn.hold).
// fasthttp's own chunked writer goes through a 4 KB buffer and makes two
// or three writes of any larger chunk. fasthttp still writes the final empty chunk,
// after the body, through its buffer, which is empty by then.
//
// A chunk the socket takes at once needs no deadline, so the connection's
// write deadline is set only when a write must wait for room, and cleared
// after: most chunks then cost one system call and no timer.
type chunkWriter struct {
	conn net.Conn // for deadlines
	held *conn    // conn when it can hold writes back, else nil
	rc   syscall.RawConn
	head []byte // bytes held back by the connection, sent before the chunk
	line []byte
	data []byte // the chunk being written
	iov  [4][]byte

	// The state of the chunk being written, for try, which is made once so
	// that a write allocates no closure.
	try   func(fd uintptr) bool
	done  int  // bytes of the chunk written
	total int  // bytes of the chunk, size line and CRLF included
	wait  bool // try may wait for room rather than return
	full  bool // try found no room
	werr  error
}

func newChunkWriter(c net.Conn) *chunkWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	cw := &chunkWriter{conn: c, rc: rc, line: make([]byte, 0, 18)}
	cw.held, _ = c.(*conn)
	cw.try = cw.writev
	return cw
}

// write sends data as one chunk and returns how many of its bytes went
// out. Waiting for room in the socket's buffer is bounded by timeout.
func (c *chunkWriter) write(data []byte, timeout time.Duration) (int, error) {
	if len(data) == 0 {
		return 0, nil
	}
	c.line = append(strconv.AppendInt(c.line[:0], int64(len(data)), 16), '\r', '\n')
	c.data = data
	if c.held != nil {
		c.head = c.held.takeHeld()
	}
	c.total = len(c.head) + len(c.line) + len(data) + len(crlf)
	c.done, c.werr, c.full, c.wait = 0, nil, false, false
	err := c.rc.Write(c.try)
	if err == nil && c.werr == nil && c.full {
		if err = c.conn.SetWriteDeadline(time.Now().Add(timeout)); err == nil {
			c.wait = true
			err = c.rc.Write(c.try)
			if cerr := c.conn.SetWriteDeadline(time.Time{}); err == nil {
				err = cerr
			}
		}
	}
	if c.werr != nil {
		err = c.werr
	}
	sent := min(max(c.done-len(c.head)-len(c.line), 0), len(data))
	c.head, c.data, c.iov = nil, nil, [4][]byte{}
	return sent, err
}

// writev writes what is left of the chunk until it is all written, an
// error, or no room: then it asks the poller to wait if c.wait allows, and
// otherwise reports c.full.
func (c *chunkWriter) writev(fd uintptr) bool {
	for c.done < c.total {
		n, err := unix.Writev(int(fd), c.pending(c.done))
		if n > 0 {
			c.done += n
		}
		switch {
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			c.full = true
			return !c.wait
		case err != nil:
			c.werr = err
			return true
		}
	}
	c.full = false
	return true
}

// pending returns the iovecs still to write after done bytes. It slices
// the chunk's own buffers afresh each time: done counts from the chunk's
// start, so trimming the previous call's iovecs would skip bytes.
func (c *chunkWriter) pending(done int) [][]byte {
	c.iov = [4][]byte{c.head, c.line, c.data, crlf}
	v := c.iov[:]
	for len(v) > 0 && done >= len(v[0]) {
		done -= len(v[0])
		v = v[1:]
	}
	if len(v) > 0 {
		v[0] = v[0][done:]
	}
	return v
}
