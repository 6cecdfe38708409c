package delivery

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// await waits until check reports ready or fails, testing it again each
// time the stream's waiting goroutine finds c met. It gives up at deadline
// (zero: the stream's blocking limit from now) with ErrNotReady, when the
// client hangs up with ErrClientGone, and when the handler closes with
// ErrClosed. It returns how long it waited.
func (h *Handler) await(ctx *fasthttp.RequestCtx, st *window.Stream, c cond, check func() (bool, error), deadline time.Time) (time.Duration, error) {
	// tested is the stream's version before the last test; see below.
	tested := st.Version()
	if ok, err := check(); ok || err != nil {
		return 0, err
	}
	start := time.Now()
	if deadline.IsZero() {
		deadline = start.Add(h.maxBlock(st))
	}
	h.stats.Blocked.Add(1)
	defer h.stats.Blocked.Add(-1)
	w := h.hang.watch(ctx.Conn())
	defer w.stop()
	wt := newWaiter()
	wt.deadline = deadline
	for {
		l := h.waits.join(st, c, wt)
		if l == nil {
			h.stats.Cancelled.Add(1)
			return time.Since(start), ErrClosed
		}
		// A change the last test missed bumps the version after it was
		// read; one that comes after this read is seen by the lot, which
		// holds the request by now. So the test is repeated only when the
		// version moved.
		if st.Version() != tested {
			if ok, err := check(); ok || err != nil {
				h.waits.leave(l, wt, c)
				h.stats.Woken.Add(1)
				return time.Since(start), err
			}
		}
		select {
		case <-wt.wake:
			// The lot has dropped the request already.
		case <-w.Gone():
			h.waits.leave(l, wt, c)
			h.stats.Cancelled.Add(1)
			return time.Since(start), ErrClientGone
		}
		if wt.expired {
			h.stats.TimedOut.Add(1)
			return time.Since(start), fmt.Errorf("%w: waited %v", ErrNotReady, time.Since(start).Round(time.Millisecond))
		}
		tested = st.Version()
		if ok, err := check(); ok || err != nil {
			h.stats.Woken.Add(1)
			return time.Since(start), err
		}
	}
}

// maxBlock is how long a request may wait for a stream's media: a multiple
// of the target duration its playlists advertise.
func (h *Handler) maxBlock(st *window.Stream) time.Duration {
	return h.cfg.MaxBlock(h.memos.state(st).target)
}

// targetDuration is the longest EXT-X-TARGETDURATION of a stream's media
// playlists.
func targetDuration(st *window.Stream) time.Duration {
	d := time.Second
	for _, tr := range st.Tracks() {
		d = max(d, hls.TargetDuration(st, tr))
	}
	return d
}
