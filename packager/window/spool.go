package window

import (
	"errors"
	"io"
	"sync"
)

// ErrNoFile is returned by Segment.WithFile when the segment's bytes are not
// in a file (the platform has none to give, or writing it failed); the
// caller sends Bytes instead.
var ErrNoFile = errors.New("window: segment bytes not in a file")

// spool is a track's bytes in one anonymous in-memory file, appended at the
// end and released from the front as segments leave the window. A file
// lets the kernel send a segment to a socket without copying it through
// user space (sendfile), and one file per track, rather than per segment,
// keeps the process's descriptors few.
type spool struct {
	fd int

	// mu guards floor and closed. A reader holds it shared for the length
	// of one non-blocking system call on fd, so releasing bytes (or closing
	// the file) waits for calls already under way, and calls after see the
	// bytes gone rather than reading a hole or a reused descriptor.
	mu     sync.RWMutex
	floor  int64 // bytes below floor are released
	closed bool

	end int64 // bytes written; guarded by the owning track's mu
}

// write appends data at the end of the file.
func (s *spool) write(data []byte) (int64, error) {
	off := s.end
	for len(data) > 0 {
		n, err := pwrite(s.fd, data, s.end)
		if err != nil {
			return off, err
		}
		if n == 0 {
			return off, io.ErrShortWrite
		}
		data = data[n:]
		s.end += int64(n)
	}
	return off, nil
}

// release frees the bytes below off.
func (s *spool) release(off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || off <= s.floor {
		return
	}
	punch(s.fd, s.floor, off)
	s.floor = off
}

// close frees every byte and the file itself.
func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	closeFile(s.fd)
}

// held returns the bytes the file holds.
func (s *spool) held() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.end - s.floor
}

// use calls fn with the file's descriptor while the bytes from off on are
// still held, or returns ErrGone.
func (s *spool) use(off int64, fn func(fd int) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || off < s.floor {
		return ErrGone
	}
	return fn(s.fd)
}

// readAt copies n bytes from off into a new slice.
func (s *spool) readAt(off int64, n int) ([]byte, error) {
	buf := make([]byte, n)
	err := s.use(off, func(fd int) error {
		for got := 0; got < n; {
			m, err := pread(fd, buf[got:], off+int64(got))
			if err != nil {
				return err
			}
			if m == 0 {
				return ErrGone
			}
			got += m
		}
		return nil
	})
	return buf, err
}
