package window

import (
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
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

	// Readers never wait: each counts itself in readers[gen&1] for the
	// length of one non-blocking system call on fd, then checks floor and
	// closed. Releasing bytes (or closing the file) moves floor (or sets
	// closed) first, flips gen, and waits for the readers counted in the
	// old generation, so calls already under way finish first and calls
	// after see the bytes gone rather than reading a hole or a reused
	// descriptor. A reader blocked on a lock would hold every connection
	// of the event loop it runs in.
	floor   atomic.Int64 // bytes below floor are released
	closed  atomic.Bool
	gen     atomic.Uint64
	readers [2]atomic.Int64
	mu      sync.Mutex // serialises release and close

	end int64 // bytes written; guarded by the owning track's mu
}

// write appends data at the end of the file.
func (s *spool) write(data []byte) (int64, error) {
	off := s.end
	if err := s.stage(data); err != nil {
		return off, err
	}
	s.end += int64(len(data))
	return off, nil
}

// stage writes data past the end of the file without counting it in;
// moving end over it then does. The track's one writer stages without its
// lock: no reader looks past a segment's size, which moves under it.
func (s *spool) stage(data []byte) error {
	for off := s.end; len(data) > 0; {
		n, err := pwrite(s.fd, data, off)
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		data = data[n:]
		off += int64(n)
	}
	return nil
}

// release frees the bytes below off.
func (s *spool) release(off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.floor.Load()
	if s.closed.Load() || off <= old {
		return
	}
	s.floor.Store(off)
	s.quiesce()
	punch(s.fd, old, off)
}

// close frees every byte and the file itself.
func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	s.closed.Store(true)
	s.quiesce()
	closeFile(s.fd)
}

// quiesce waits for the readers that may have seen floor and closed as
// they were before the caller changed them; s.mu is held.
func (s *spool) quiesce() {
	old := s.gen.Add(1) - 1
	for s.readers[old&1].Load() != 0 {
		runtime.Gosched()
	}
}

// held returns the bytes the file holds; the owning track's mu is held.
func (s *spool) held() int64 {
	return s.end - s.floor.Load()
}

// use calls fn with the file's descriptor while the bytes from off on are
// still held, or returns ErrGone.
func (s *spool) use(off int64, fn func(fd int) error) error {
	// Counted in the generation current after counting, so that the next
	// flip waits for this call.
	var r *atomic.Int64
	for {
		g := s.gen.Load()
		r = &s.readers[g&1]
		r.Add(1)
		if s.gen.Load() == g {
			break
		}
		r.Add(-1)
	}
	defer r.Add(-1)
	if s.closed.Load() || off < s.floor.Load() {
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
