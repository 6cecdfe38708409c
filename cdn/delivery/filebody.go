package delivery

import (
	"io"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// minFileSend is the smallest object sent from the window's file when it
// is also in memory: below it, one write of a copy costs less than the
// extra system calls.
const minFileSend = 16 << 10

// fileBody sends a byte range of a complete segment from the window's file
// straight to the socket (sendfile), so the bytes never pass through user
// space. fasthttp writes the headers first and then calls WriteTo, which
// writes to the connection itself.
type fileBody struct {
	h    *Handler
	seg  *window.Segment
	conn syscall.RawConn
	off  int // first byte of the segment to send
	n    int // bytes to send
	// corked is set from the handler until the body is sent: the socket
	// holds fasthttp's headers back to send them with the body.
	corked bool
}

// SupportsBodyWriteTo lets fasthttp call WriteTo instead of Read.
func (b *fileBody) SupportsBodyWriteTo() bool { return true }

// WriteTo ignores w, which holds nothing once fasthttp has flushed the
// headers, and sends the bytes on the connection under fasthttp's write
// deadline.
func (b *fileBody) WriteTo(io.Writer) (int64, error) {
	sent, err := sendFile(b.conn, b.seg, b.off, b.n)
	b.uncork()
	b.h.stats.BytesOut.Add(uint64(sent))
	if err != nil {
		b.h.stats.Aborted.Add(1)
	}
	return int64(sent), err
}

// Close is called by fasthttp when it is done with the body, sent or not.
func (b *fileBody) Close() error {
	b.uncork()
	return nil
}

func (b *fileBody) uncork() {
	if b.corked {
		b.corked = false
		cork(b.conn, false)
	}
}

// Read serves writers that read instead of calling WriteTo.
func (b *fileBody) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	data, _ := b.seg.Bytes(b.off)
	if len(data) < b.n {
		return 0, window.ErrGone
	}
	m := copy(p, data[:b.n])
	b.off += m
	b.n -= m
	b.h.stats.BytesOut.Add(uint64(m))
	return m, nil
}

// copyable returns a span of seg to copy rather than send from the file:
// a small object still in memory costs less to copy; any other goes from
// the file when it can, so that bytes no longer in memory are not read
// back into a buffer first.
func copyable(seg *window.Segment, off, n int) ([]byte, bool) {
	if data, ok := seg.BytesInMemory(off); ok && len(data) >= n && (n < minFileSend || !canSendFile) {
		return data[:n], true
	}
	return nil, false
}

// sendSpan answers with bytes [off, off+n) of a complete segment, or the
// single range of them a Range header asks for.
func (h *Handler) sendSpan(ctx *fasthttp.RequestCtx, seg *window.Segment, off, n int, ct []byte) error {
	hdr := &ctx.Response.Header
	if r, ok := parseRange(ctx.Request.Header.PeekBytes(hdrRange)); ok {
		from, to, ok := r.resolve(n)
		if !ok {
			return &RangeError{Size: n}
		}
		setContentRange(hdr, int64(from), int64(to-1), int64(n))
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		off, n = off+from, to-from
	}
	if data, ok := copyable(seg, off, n); ok {
		h.sendBytes(ctx, data, ct)
		return nil
	}
	if rc := fileConn(ctx, seg); rc != nil {
		hdr.SetContentTypeBytes(ct)
		hdr.SetCanonical(hdrAcceptRanges, valBytes)
		hdr.SetCanonical(hdrCacheControl, cacheImmutable)
		ctx.Response.ImmediateHeaderFlush = true
		cork(rc, true)
		ctx.Response.SetBodyStream(&fileBody{h: h, seg: seg, conn: rc, off: off, n: n, corked: true}, n)
		return nil
	}
	data, _ := seg.Bytes(off)
	if len(data) < n {
		return ErrGone
	}
	h.sendBytes(ctx, data[:n], ct)
	return nil
}

// fileConn returns the connection to send bytes of seg on with sendfile,
// or nil when it cannot be used.
func fileConn(ctx *fasthttp.RequestCtx, seg *window.Segment) syscall.RawConn {
	if ctx.IsHead() || !canSendFile {
		return nil
	}
	if seg.WithFile(0, func(int, int64) error { return nil }) != nil {
		return nil
	}
	sc, ok := ctx.Conn().(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
