package delivery

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/hls"
)

// fastPlaylistRequest reads a playlist request's directives from a query
// parseHead let through, which needs no decoding: as with fasthttp's
// QueryArgs, the first of a repeated key counts and a key without '='
// has an empty value. It reports false for directives the full server
// must refuse.
func fastPlaylistRequest(query []byte) (hls.Request, bool) {
	msn, part := QueryValue(query, "_HLS_msn"), QueryValue(query, "_HLS_part")
	skip, byteRange, tok := QueryValue(query, "_HLS_skip"), QueryValue(query, "lt_byterange"), QueryValue(query, "token")
	req, err := hls.ParseRequest(string(msn), string(part), string(skip), string(byteRange))
	if err != nil {
		return req, false
	}
	// Unreserved characters only, so the token needs no escaping again.
	if len(tok) > 0 {
		req.Query = "token=" + string(tok)
	}
	return req, true
}

// QueryValue returns the value of key in a query the fast path let
// through (parseHead: unreserved characters, '=' and '&', so nothing to
// decode), the first if repeated, as fasthttp's QueryArgs.Peek does.
func QueryValue(query []byte, key string) []byte {
	for len(query) > 0 {
		var kv []byte
		kv, query, _ = bytes.Cut(query, []byte{'&'})
		if k, v, _ := bytes.Cut(kv, []byte{'='}); string(k) == key {
			return v
		}
	}
	return nil
}

// timeAnswer appends a whole answer with the server's clock, as serveTime
// writes it.
func (h *Handler) timeAnswer(dst, date []byte, now time.Time, close bool) []byte {
	var b [32]byte
	v := appendClock(b[:0], now)
	dst = h.startHead(dst, fasthttp.StatusOK, date, typeText, len(v))
	dst = appendHeader(dst, hdrCacheControl, cacheNoStore)
	dst = endHead(dst, close)
	return append(dst, v...)
}

// playlistHead appends the status line and headers of a playlist answer:
// body bytes of contentType, cached as cache says or, when cache is nil,
// for maxAge seconds; waited, when not zero, goes in Server-Timing.
func (h *Handler) playlistHead(dst, date []byte, body int, contentType, cache []byte, maxAge int, waited time.Duration, close bool) []byte {
	dst = h.startHead(dst, fasthttp.StatusOK, date, contentType, body)
	dst = append(dst, "\r\nCache-Control: "...)
	if cache != nil {
		dst = append(dst, cache...)
	} else {
		dst = append(dst, "public, max-age="...)
		dst = strconv.AppendInt(dst, int64(maxAge), 10)
	}
	dst = appendServerTiming(dst, waited)
	return endHead(dst, close)
}

// errorAnswer appends a whole answer with an error status, as fail writes
// it.
func (h *Handler) errorAnswer(dst, date []byte, status int, close bool) []byte {
	msg := fasthttp.StatusMessage(status)
	dst = h.startHead(dst, status, date, typeText, len(msg))
	dst = appendHeader(dst, hdrCacheControl, cacheNoStore)
	if status == fasthttp.StatusServiceUnavailable {
		dst = appendHeader(dst, hdrRetryAfter, valRetryAfter)
	}
	dst = endHead(dst, close)
	return append(dst, msg...)
}

// startHead appends a status line, Date, Content-Type, Content-Length
// unless length is negative, and the headers every answer carries (as
// setCommon sets them).
func (h *Handler) startHead(dst []byte, status int, date, contentType []byte, length int) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, fasthttp.StatusMessage(status)...)
	dst = append(dst, "\r\nDate: "...)
	dst = append(dst, date...)
	dst = append(dst, "\r\nContent-Type: "...)
	dst = append(dst, contentType...)
	if length >= 0 {
		dst = append(dst, "\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(length), 10)
	}
	dst = appendHeader(dst, hdrHop, h.hop)
	dst = appendHeader(dst, hdrACAO, valStar)
	return appendHeader(dst, hdrACEH, valExposed)
}

func endHead(dst []byte, close bool) []byte {
	if close {
		dst = append(dst, "\r\nConnection: close"...)
	}
	return append(dst, "\r\n\r\n"...)
}
