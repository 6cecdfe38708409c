package delivery

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// body streams an object that is still being written: a segment, or one of
// its parts, from off on. It goes out with chunked transfer through
// WriteTo, one HTTP chunk per slice of the segment's own bytes, written to
// the socket at once (chunkWriter), so nothing waits in a buffer. It ends when the
// object is complete; if the object stops growing before that, WriteTo
// fails and fasthttp cuts the connection without the final empty chunk, so
// the client sees an error rather than a short object.
type body struct {
	h    *Handler
	st   *window.Stream
	tr   *window.Track // seg's; its changes wake the body
	conn net.Conn      // for per-write deadlines
	cw   *chunkWriter  // writes chunks to conn itself; nil to use fasthttp's writer
	cursor
	// stall bounds how long the object may stop growing; deadline is when
	// it will have, unless a byte comes first.
	stall    time.Duration
	deadline time.Time

	// changed is the track's change channel taken before the last look at
	// the object: until it closes, there is nothing new to look at.
	changed <-chan struct{}

	pending []byte // bytes next returned but not yet read, for Read
	// timer fires at timerAt, no later than deadline; zero when disarmed.
	// Progress moves deadline without touching the timer, which, firing
	// early, is armed again for the rest.
	timer   *time.Timer
	timerAt time.Time
}

// SupportsBodyWriteTo lets fasthttp call WriteTo instead of Read.
func (b *body) SupportsBodyWriteTo() bool { return true }

// WriteTo writes the object to w as its bytes come, each write that must
// wait for the client under a deadline of its own.
func (b *body) WriteTo(w io.Writer) (int64, error) {
	b.h.stats.Streaming.Add(1)
	defer b.h.stats.Streaming.Add(-1)
	defer b.stopTimer()
	if b.cw != nil {
		// The chunk writer sets a deadline only while a write waits, so
		// none may be left to expire while the body waits for media; the
		// final chunk, which fasthttp writes, gets one again.
		_ = b.conn.SetWriteDeadline(time.Time{})
		defer func() { _ = b.conn.SetWriteDeadline(time.Now().Add(b.h.cfg.WriteTimeout)) }()
	}
	var n int64
	for {
		data, err := b.next()
		if err == io.EOF {
			return n, nil
		}
		if err == nil {
			var m int
			if b.cw != nil {
				m, err = b.cw.write(data, b.h.cfg.WriteTimeout)
			} else {
				_ = b.conn.SetWriteDeadline(time.Now().Add(b.h.cfg.WriteTimeout))
				m, err = w.Write(data)
			}
			n += int64(m)
			b.h.stats.BytesOut.Add(uint64(m))
		}
		if err != nil {
			b.h.stats.Aborted.Add(1)
			b.h.logAbort(b, err)
			return n, err
		}
	}
}

// Read serves the few writers that read instead of calling WriteTo.
func (b *body) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		data, err := b.next()
		if err != nil {
			b.stopTimer()
			return 0, err
		}
		b.pending = data
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	b.h.stats.BytesOut.Add(uint64(n))
	return n, nil
}

// Close is called by fasthttp when it is done with the body, written or not.
func (b *body) Close() error {
	b.stopTimer()
	return nil
}

// next returns the object's next bytes, waiting for them, or io.EOF at its
// end. The slice is the segment's own memory: it never changes.
func (b *body) next() ([]byte, error) {
	for {
		if b.ended {
			return nil, io.EOF
		}
		if b.changed != nil {
			// Nothing new since the last look unless the track changed:
			// a body woken with its peers skips a look that would find
			// nothing, and the locks it takes.
			select {
			case <-b.changed:
			default:
				if err := b.wait(b.changed); err != nil {
					return nil, err
				}
			}
		}
		b.changed = b.tr.Changed()
		data, err := b.take()
		if err != nil {
			return nil, err
		}
		if len(data) > 0 {
			b.deadline = time.Time{}
			return data, nil
		}
	}
}

// cursor is the position of a response in an object still being written.
type cursor struct {
	seg   *window.Segment
	off   int  // next byte of the segment to send
	part  int  // part index, or -1 for the segment
	end   int  // end of a byte range of the segment, or -1 for none
	ended bool // the last take returned the object's last bytes
}

// take returns the object's bytes written since the last take, perhaps
// none, and moves past them. The slice is the segment's own memory: it
// never changes.
func (c *cursor) take() ([]byte, error) {
	data, complete := c.seg.Bytes(c.off)
	done := complete
	if c.part >= 0 {
		p, ok := c.seg.Part(c.part)
		if !ok {
			return nil, fmt.Errorf("%w: part %d of segment %d vanished", ErrStalled, c.part, c.seg.MSN)
		}
		end := p.Offset + p.Size
		if len(data) > end-c.off {
			data = data[:end-c.off]
		}
		// data was read before the part, so it may end short of a part
		// that completed in between; the change that completed it
		// sends the next look for the rest.
		done = p.Complete && c.off+len(data) == end
	}
	if c.end >= 0 {
		if len(data) > c.end-c.off {
			data = data[:c.end-c.off]
		}
		if c.off+len(data) == c.end {
			done = true
		} else if complete {
			return nil, fmt.Errorf("%w: segment %d ended at byte %d", ErrRangePastEnd, c.seg.MSN, c.off+len(data))
		}
	}
	c.ended = done
	c.off += len(data)
	return data, nil
}

// wait waits for the track to change, until the object has made no
// progress for the stall limit.
func (b *body) wait(changed <-chan struct{}) error {
	now := time.Now()
	if b.deadline.IsZero() {
		b.deadline = now.Add(b.stall)
	}
	for {
		left := b.deadline.Sub(now)
		if left <= 0 {
			return fmt.Errorf("%w: segment %d at byte %d for %v", ErrStalled, b.seg.MSN, b.off, b.stall)
		}
		switch {
		case b.timer == nil:
			b.timer = time.NewTimer(left)
			b.timerAt = b.deadline
		case b.timerAt.IsZero():
			b.timer.Reset(left)
			b.timerAt = b.deadline
		}
		select {
		case <-changed:
			return nil
		case <-b.timer.C:
			b.timerAt = time.Time{}
			now = time.Now()
		case <-b.h.waits.done:
			return ErrClosed
		}
	}
}

func (b *body) stopTimer() {
	if b.timer != nil {
		b.timer.Stop()
		b.timerAt = time.Time{}
	}
}
