package delivery

import (
	"strconv"

	"github.com/valyala/fasthttp"
)

// Header names and values, kept as bytes so that setting them allocates
// nothing.
var (
	hdrHop           = []byte("X-Livetree-Hop")
	hdrACAO          = []byte("Access-Control-Allow-Origin")
	hdrACEH          = []byte("Access-Control-Expose-Headers")
	hdrACAM          = []byte("Access-Control-Allow-Methods")
	hdrACAH          = []byte("Access-Control-Allow-Headers")
	hdrACMA          = []byte("Access-Control-Max-Age")
	hdrCacheControl  = []byte("Cache-Control")
	hdrAcceptRanges  = []byte("Accept-Ranges")
	hdrContentRange  = []byte("Content-Range")
	hdrRetryAfter    = []byte("Retry-After")
	hdrAllow         = []byte("Allow")
	hdrServerTiming  = []byte("Server-Timing")
	hdrRange         = []byte("Range")
	valStar          = []byte("*")
	valExposed       = []byte("Content-Length, Content-Range, Date, Age, Retry-After, Server-Timing, X-Livetree-Hop")
	valMethods       = []byte("GET, HEAD, OPTIONS")
	valAllowHeaders  = []byte("Range, If-None-Match, If-Modified-Since, Cache-Control, Accept, Content-Type")
	valMaxAge        = []byte("86400")
	valBytes         = []byte("bytes")
	valRetryAfter    = []byte("1")
	cacheImmutable   = []byte("public, max-age=31536000, immutable")
	cacheNoCache     = []byte("no-cache")
	cacheNoStore     = []byte("no-store")
	typeM3U8         = []byte("application/vnd.apple.mpegurl")
	typeMPD          = []byte("application/dash+xml")
	typeVideo        = []byte("video/mp4")
	typeAudio        = []byte("audio/mp4")
	typeText         = []byte("text/plain; charset=utf-8")
	contentRangeUnit = []byte("bytes ")
)

// maxLiveRange stands for the unknown last byte of a range that runs to the
// end of a segment still being written, as RFC 8673 suggests.
const maxLiveRange = 1<<53 - 1

// setCommon sets the headers every response carries.
func (h *Handler) setCommon(hdr *fasthttp.ResponseHeader) {
	hdr.SetCanonical(hdrHop, h.hop)
	hdr.SetCanonical(hdrACAO, valStar)
	hdr.SetCanonical(hdrACEH, valExposed)
}

// setContentRange sets Content-Range: bytes first-last/size, with a size
// of -1 written as *.
func setContentRange(hdr *fasthttp.ResponseHeader, first, last, size int64) {
	var b [64]byte
	v := append(b[:0], contentRangeUnit...)
	if first < 0 {
		v = append(v, '*')
	} else {
		v = strconv.AppendInt(v, first, 10)
		v = append(v, '-')
		v = strconv.AppendInt(v, last, 10)
	}
	v = append(v, '/')
	if size < 0 {
		v = append(v, '*')
	} else {
		v = strconv.AppendInt(v, size, 10)
	}
	hdr.SetCanonical(hdrContentRange, v)
}

// setMaxAge sets Cache-Control: public, max-age=seconds.
func setMaxAge(hdr *fasthttp.ResponseHeader, seconds int) {
	var b [48]byte
	v := append(b[:0], "public, max-age="...)
	v = strconv.AppendInt(v, int64(seconds), 10)
	hdr.SetCanonical(hdrCacheControl, v)
}
