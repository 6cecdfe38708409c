package delivery

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// Admit decides whether the fast path may answer a viewer's request for a
// file of stream (a playlist, or an object), given the request's query and
// the client's address. It runs on the fast path's own threads, for every
// request, so it must not block. Refusing is never an answer to the
// client: the request goes to the full server, which answers it and says
// why.
type Admit func(stream, query []byte, playlist bool, client netip.Addr, now time.Time) bool

// FastListener is a net.Listener whose Accept yields the connections its
// fast path handed over.
type FastListener interface {
	net.Listener
	// Conns returns the connections the fast path holds now.
	Conns() int
}

// fastBody is where a fast answer's body comes from: bytes in memory, or
// a span of a complete segment's file.
type fastBody struct {
	mem    []byte
	seg    *window.Segment
	off, n int
}

func (b fastBody) size() int {
	if b.seg != nil {
		return b.n
	}
	return len(b.mem)
}

// objectHead appends the status line and headers that answer a request
// for a complete object of size bytes of content type ct, after waiting
// that long for it.
func (h *Handler) objectHead(dst, date, ct []byte, size int, waited time.Duration, close bool) []byte {
	dst = h.startHead(dst, fasthttp.StatusOK, date, ct, size)
	dst = appendHeader(dst, hdrAcceptRanges, valBytes)
	dst = appendHeader(dst, hdrCacheControl, cacheImmutable)
	dst = appendServerTiming(dst, waited)
	return endHead(dst, close)
}

// streamHead appends the status line and headers that begin streaming an
// object still being written, with chunked transfer, after waiting that
// long for it to begin.
func (h *Handler) streamHead(dst, date, ct []byte, waited time.Duration, close bool) []byte {
	dst = h.startHead(dst, fasthttp.StatusOK, date, ct, -1)
	dst = append(dst, "\r\nTransfer-Encoding: chunked"...)
	dst = appendHeader(dst, hdrCacheControl, cacheImmutable)
	dst = appendServerTiming(dst, waited)
	return endHead(dst, close)
}

// appendServerTiming appends Server-Timing for a request that waited, as
// setServerTiming sets it.
func appendServerTiming(dst []byte, waited time.Duration) []byte {
	if waited <= 0 {
		return dst
	}
	dst = append(dst, "\r\nServer-Timing: "...)
	return appendBlockTiming(dst, waited)
}

// appendBlockTiming appends the Server-Timing value of a request that
// waited for its media.
func appendBlockTiming(dst []byte, waited time.Duration) []byte {
	dst = append(dst, "block;dur="...)
	return strconv.AppendFloat(dst, float64(waited.Microseconds())/1000, 'f', 3, 64)
}

func contentType(kind string) []byte {
	if kind == "audio" {
		return typeAudio
	}
	return typeVideo
}

// streamOf returns the stream name in rq's path, which r was parsed from.
func streamOf(rq reqHead, r route) []byte {
	return rq.path[len(livePrefix) : len(livePrefix)+len(r.stream)]
}

func appendHeader(dst, name, value []byte) []byte {
	dst = append(dst, crlf...)
	dst = append(dst, name...)
	dst = append(dst, headerSep...)
	return append(dst, value...)
}

// completeObject finds a complete init segment, segment or part, and
// where to send its bytes from.
func completeObject(tr *window.Track, n window.ObjectName) (fastBody, reqKind, bool) {
	if n.Type == window.ObjInit {
		in := tr.InitByEpoch(n.Epoch)
		if in == nil {
			return fastBody{}, kindInit, false
		}
		return fastBody{mem: in.Data}, kindInit, true
	}
	seg, ok := tr.Segment(n.MSN)
	if !ok || seg.Init.Epoch != n.Epoch {
		return fastBody{}, 0, false
	}
	kind, off, size := kindSegment, 0, seg.Size()
	if n.Type == window.ObjSegment {
		if !seg.Complete() {
			return fastBody{}, 0, false
		}
	} else {
		p, ok := seg.Part(n.Part)
		if !ok || !p.Complete {
			return fastBody{}, 0, false
		}
		kind, off, size = kindPart, p.Offset, p.Size
	}
	if data, ok := copyable(seg, off, size); ok {
		return fastBody{mem: data}, kind, true
	}
	if canSendFile && seg.WithFile(0, func(int, int64) error { return nil }) == nil {
		return fastBody{seg: seg, off: off, n: size}, kind, true
	}
	if data, _ := seg.Bytes(off); len(data) >= size {
		return fastBody{mem: data[:size]}, kind, true
	}
	return fastBody{}, 0, false
}
