package delivery

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// serveObject answers a request for an init segment, a segment or a part.
// A complete object is sent from RAM as it is; one being written is
// streamed as it grows; the next one to start (the preload-hinted part, or
// the segment after the newest) is waited for, within the blocking limit.
func (h *Handler) serveObject(ctx *fasthttp.RequestCtx, st *window.Stream, n window.ObjectName) error {
	tr, err := track(st, n.Kind)
	if err != nil {
		return err
	}
	ct := typeVideo
	if n.Kind == "audio" {
		ct = typeAudio
	}
	if n.Type == window.ObjInit {
		in := tr.InitByEpoch(n.Epoch)
		if in == nil {
			return ErrNotFound
		}
		return h.sendComplete(ctx, in.Data, ct)
	}
	var deadline time.Time
	var waited time.Duration
	for {
		seg, hold, err := locate(st, tr, n)
		if err == nil && seg != nil {
			if n.Type == window.ObjSegment {
				hold, err = h.serveSegment(ctx, st, tr, seg, ct)
			} else {
				hold, err = h.servePart(ctx, st, tr, seg, n.Part, ct)
			}
		}
		if err != nil {
			return err
		}
		if hold == (cond{}) {
			if waited > 0 {
				setServerTiming(&ctx.Response.Header, waited)
			}
			return nil
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(h.maxBlock(st))
		}
		w, err := h.await(ctx, st, hold, func() (bool, error) { return hold.met(st), nil }, deadline)
		waited += w
		if err != nil {
			return err
		}
	}
}

// locate finds the segment an object name points into. For the segment
// after the newest, which is the next to start, it returns the cond to wait
// for instead.
func locate(st *window.Stream, tr *window.Track, n window.ObjectName) (*window.Segment, cond, error) {
	if seg, ok := tr.Segment(n.MSN); ok {
		if seg.Init.Epoch != n.Epoch {
			return nil, cond{}, ErrNotFound
		}
		return seg, cond{}, nil
	}
	last, ok := tr.Last()
	switch {
	case !ok:
		return nil, cond{}, ErrNotFound
	case n.MSN < last.MSN:
		// Numbers are contiguous: a missing one below the newest was evicted.
		return nil, cond{}, ErrGone
	case n.MSN == last.MSN+1 && (n.Type == window.ObjSegment || n.Part == 0) &&
		!st.Ended() && tr.Init().Epoch == n.Epoch:
		return nil, cond{kind: condObject, track: tr.ID(), msn: int64(n.MSN), part: 0}, nil
	}
	return nil, cond{}, ErrNotFound
}

// servePart answers with part idx of seg, or returns the cond to wait for
// when it is the part after the newest.
func (h *Handler) servePart(ctx *fasthttp.RequestCtx, st *window.Stream, tr *window.Track, seg *window.Segment, idx int, ct []byte) (cond, error) {
	p, hold, err := findPart(tr, seg, idx)
	if err != nil || hold != (cond{}) {
		return hold, err
	}
	if p.Complete {
		return cond{}, h.sendSpan(ctx, seg, p.Offset, p.Size, ct)
	}
	h.sendStream(ctx, &body{st: st, tr: tr, cursor: cursor{seg: seg, off: p.Offset, part: idx, end: -1}}, ct, fasthttp.StatusOK)
	return cond{}, nil
}

// findPart returns part idx of seg, or the cond to wait for when it is the
// part after the newest.
func findPart(tr *window.Track, seg *window.Segment, idx int) (window.Part, cond, error) {
	if p, ok := seg.Part(idx); ok {
		return p, cond{}, nil
	}
	if idx == 0 || seg.Complete() {
		return window.Part{}, cond{}, ErrNotFound
	}
	if _, ok := seg.Part(idx - 1); !ok {
		return window.Part{}, cond{}, ErrNotFound // further ahead than the next part
	}
	return window.Part{}, cond{kind: condObject, track: tr.ID(), msn: int64(seg.MSN), part: int64(idx)}, nil
}

// serveSegment answers with seg, or a range of it. A range of a segment
// still being written is streamed up to its last byte (or the segment's
// end when open-ended), and one that starts past the bytes written so far
// waits for them.
func (h *Handler) serveSegment(ctx *fasthttp.RequestCtx, st *window.Stream, tr *window.Track, seg *window.Segment, ct []byte) (cond, error) {
	if seg.Complete() {
		return cond{}, h.sendSpan(ctx, seg, 0, seg.Size(), ct)
	}
	data, _ := seg.Bytes(0)
	r, ok := parseRange(ctx.Request.Header.PeekBytes(hdrRange))
	if !ok || r.first < 0 {
		// A suffix of an object whose end is unknown cannot be told: send
		// it all, as RFC 9110 allows.
		h.sendStream(ctx, &body{st: st, tr: tr, cursor: cursor{seg: seg, part: -1, end: -1}}, ct, fasthttp.StatusOK)
		return cond{}, nil
	}
	if r.first >= int64(len(data)) {
		return cond{kind: condObject, track: tr.ID(), msn: int64(seg.MSN), part: -1, off: int(r.first)}, nil
	}
	hdr := &ctx.Response.Header
	if r.last >= 0 && r.last < int64(len(data)) {
		setContentRange(hdr, r.first, r.last, -1)
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		h.sendBytes(ctx, data[r.first:r.last+1], ct)
		return cond{}, nil
	}
	end, last := -1, int64(maxLiveRange)
	if r.last >= 0 {
		end, last = int(r.last+1), r.last
	}
	setContentRange(hdr, r.first, last, -1)
	h.sendStream(ctx, &body{st: st, tr: tr, cursor: cursor{seg: seg, off: int(r.first), part: -1, end: end}}, ct, fasthttp.StatusPartialContent)
	return cond{}, nil
}

// sendComplete answers with a complete object, or the single range of it a
// Range header asks for.
func (h *Handler) sendComplete(ctx *fasthttp.RequestCtx, data, ct []byte) error {
	hdr := &ctx.Response.Header
	if r, ok := parseRange(ctx.Request.Header.PeekBytes(hdrRange)); ok {
		from, to, ok := r.resolve(len(data))
		if !ok {
			return &RangeError{Size: len(data)}
		}
		setContentRange(hdr, int64(from), int64(to-1), int64(len(data)))
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		data = data[from:to]
	}
	h.sendBytes(ctx, data, ct)
	return nil
}

// sendBytes answers with bytes of the window, which never change, so they
// are sent without a copy.
func (h *Handler) sendBytes(ctx *fasthttp.RequestCtx, data, ct []byte) {
	hdr := &ctx.Response.Header
	hdr.SetContentTypeBytes(ct)
	hdr.SetCanonical(hdrAcceptRanges, valBytes)
	hdr.SetCanonical(hdrCacheControl, cacheImmutable)
	ctx.Response.SetBodyRaw(data)
	if !ctx.IsHead() {
		h.stats.BytesOut.Add(uint64(len(data)))
	}
}

// sendStream answers with an object still being written, streamed with
// chunked transfer. Its final bytes never change, so it is as cacheable as
// a complete one.
func (h *Handler) sendStream(ctx *fasthttp.RequestCtx, b *body, ct []byte, status int) {
	b.h, b.conn, b.stall = h, ctx.Conn(), h.maxBlock(b.st)
	b.cw = newChunkWriter(b.conn)
	hdr := &ctx.Response.Header
	hdr.SetContentTypeBytes(ct)
	hdr.SetCanonical(hdrCacheControl, cacheImmutable)
	ctx.SetStatusCode(status)
	// This deadline covers the header; the body sets its own for each
	// write that waits. Setting it through ctx makes fasthttp clear it
	// once the response is done.
	_ = ctx.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
	ctx.Response.ImmediateHeaderFlush = true
	if c, ok := b.conn.(*conn); ok && !ctx.IsHead() {
		// With its first bytes there, the object's headers can wait for them
		// and share their packet; otherwise they go at once.
		if data, ok := b.seg.BytesInMemory(b.off); ok && len(data) > 0 {
			c.hold()
		}
	}
	ctx.Response.SetBodyStream(b, -1)
}
