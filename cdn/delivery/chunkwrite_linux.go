package delivery

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

var crlf = []byte("\r\n")

// chunkWriter writes HTTP/1.1 chunks straight to the socket, each in one
// writev of its size line, its bytes and the CRLF that ends it. fasthttp's
// own chunked writer goes through a 4 KB buffer and makes two or three
// writes of any larger chunk. fasthttp still writes the final empty chunk,
// after the body, through its buffer, which is empty by then.
type chunkWriter struct {
	rc   syscall.RawConn
	line []byte
	iov  [3][]byte
}

func newChunkWriter(c any) *chunkWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &chunkWriter{rc: rc, line: make([]byte, 0, 18)}
}

// write sends data as one chunk under the connection's write deadline and
// returns how many of its bytes went out.
func (c *chunkWriter) write(data []byte) (int, error) {
	if len(data) == 0 {
		return 0, nil
	}
	c.line = append(strconv.AppendInt(c.line[:0], int64(len(data)), 16), '\r', '\n')
	c.iov = [3][]byte{c.line, data, crlf}
	total := len(c.line) + len(data) + len(crlf)
	done := 0
	var werr error
	err := c.rc.Write(func(fd uintptr) bool {
		for done < total {
			n, err := unix.Writev(int(fd), c.pending(done))
			if n > 0 {
				done += n
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.EAGAIN):
				return false
			case err != nil:
				werr = err
				return true
			}
		}
		return true
	})
	if werr == nil {
		werr = err
	}
	sent := min(max(done-len(c.line), 0), len(data))
	return sent, werr
}

// pending returns the iovecs still to write after done bytes.
func (c *chunkWriter) pending(done int) [][]byte {
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
