package delivery

import (
	"errors"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/dash"
	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// Handler serves the streams of a window.Streams over HTTP. It is safe for
// any number of concurrent requests.
type Handler struct {
	cfg   Config
	log   zerolog.Logger
	hop   []byte
	hls   *hls.Renderer
	mpd   *dash.Renderer
	waits *waiters
	hang  *hangups // nil when the platform or the system cannot tell hang-ups
	memos memos
	stats Stats
	// unwatch stops the handler hearing of streams removed from its set.
	unwatch func()
}

// New returns a handler serving cfg.Streams.
func New(cfg Config, log zerolog.Logger) *Handler {
	cfg = cfg.withDefaults()
	h := &Handler{
		cfg:   cfg,
		log:   log.With().Str("component", "delivery").Logger(),
		hop:   []byte(cfg.Hop),
		hls:   hls.NewRenderer(),
		mpd:   dash.NewRenderer(),
		waits: newWaiters(),
		memos: memos{seed: maphash.MakeSeed()},
	}
	hang, err := newHangups()
	if err != nil {
		// Waits still end, by their time limit; only a client that hangs
		// up holds its waiter longer.
		h.log.Warn().Err(err).Msg("hang-ups of waiting clients will go unnoticed")
	}
	h.hang = hang
	h.unwatch = cfg.Streams.OnRemove(h.Forget)
	return h
}

// Close answers every waiting request with 503, cuts the objects being
// streamed, and waits for the handler's own goroutines. Requests that come
// later and would wait are answered 503 at once.
func (h *Handler) Close() {
	h.unwatch()
	h.waits.close()
	h.hang.close()
}

// Forget drops what the handler's renderers remember of st. The handler
// calls it itself for every stream removed from the set it serves.
func (h *Handler) Forget(st *window.Stream) {
	h.hls.Forget(st)
	h.mpd.Forget(st)
	h.memos.forget(st)
}

// Serve answers one request: /live/{stream}/... and the clock; 404 for any
// other path.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) {
	h.setCommon(&ctx.Response.Header)
	var err error
	switch {
	case ctx.IsGet(), ctx.IsHead():
		err = h.serve(ctx)
	case ctx.IsOptions():
		h.count(kindPreflight)
		h.preflight(ctx)
	default:
		h.count(kindOther)
		err = ErrMethod
	}
	if err != nil {
		h.fail(ctx, err)
	}
}

func (h *Handler) serve(ctx *fasthttp.RequestCtx) error {
	r, err := parseRoute(ctx.Path(), h.cfg.UTCTimingPath)
	if err != nil {
		h.count(kindOther)
		return err
	}
	if r.kind == routeTime {
		h.count(kindTime)
		h.serveTime(ctx)
		return nil
	}
	st := h.cfg.Streams.Get(r.stream)
	switch r.kind {
	case routeMultivariant:
		h.count(kindMultivariant)
	case routeMedia:
		h.count(kindMedia)
	case routeMPD:
		h.count(kindMPD)
	case routeObject:
		switch r.obj.Type {
		case window.ObjInit:
			h.count(kindInit)
		case window.ObjSegment:
			h.count(kindSegment)
		default:
			h.count(kindPart)
		}
	}
	if st == nil {
		return ErrNotFound
	}
	st.Touch()
	switch r.kind {
	case routeMultivariant:
		return h.serveMultivariant(ctx, st)
	case routeMedia:
		return h.serveMedia(ctx, st, r.mediaKind)
	case routeMPD:
		return h.serveMPD(ctx, st)
	default:
		return h.serveObject(ctx, st, r.obj)
	}
}

func (h *Handler) count(k reqKind) { h.stats.requests[k].Add(1) }

// preflight answers a CORS preflight request.
func (h *Handler) preflight(ctx *fasthttp.RequestCtx) {
	hdr := &ctx.Response.Header
	hdr.SetCanonical(hdrACAM, valMethods)
	hdr.SetCanonical(hdrACAH, valAllowHeaders)
	hdr.SetCanonical(hdrACMA, valMaxAge)
	hdr.SetCanonical(hdrCacheControl, cacheNoCache)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

// serveTime answers with the server's clock, ISO 8601 in UTC to the
// millisecond, for DASH UTCTiming (urn:mpeg:dash:utc:http-iso:2014).
func (h *Handler) serveTime(ctx *fasthttp.RequestCtx) {
	var b [32]byte
	v := appendClock(b[:0], time.Now())
	hdr := &ctx.Response.Header
	hdr.SetContentTypeBytes(typeText)
	hdr.SetCanonical(hdrCacheControl, cacheNoStore)
	ctx.SetBody(v)
}

// appendClock appends t as /time answers it: ISO 8601 in UTC to the
// millisecond.
func appendClock(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
}

// track returns a stream's track of a kind, once it has an init segment.
func track(st *window.Stream, kind string) (*window.Track, error) {
	id, ok := window.TrackIDOf(kind)
	if !ok {
		return nil, ErrNotFound
	}
	tr, ok := st.Track(id, false)
	if !ok || tr.Init() == nil {
		return nil, ErrNotFound
	}
	return tr, nil
}

// fail answers a request with the status its error maps to, and logs the
// error; it is the one place either happens.
func (h *Handler) fail(ctx *fasthttp.RequestCtx, err error) {
	status := statusOf(err)
	h.stats.Errors.Add(1)
	ev := h.log.Debug()
	if status == fasthttp.StatusInternalServerError {
		ev = h.log.Error()
	}
	ev.Err(err).Int("status", status).Bytes("method", ctx.Method()).Bytes("path", truncate(ctx.Path())).Msg("request failed")

	resp := &ctx.Response
	resp.ResetBody()
	hdr := &resp.Header
	hdr.Del(string(hdrContentRange))
	hdr.SetCanonical(hdrCacheControl, cacheNoStore)
	hdr.SetContentTypeBytes(typeText)
	ctx.SetStatusCode(status)
	switch status {
	case statusClientGone:
		// Nobody reads this response; close the connection under it.
		ctx.SetConnectionClose()
		return
	case fasthttp.StatusServiceUnavailable:
		hdr.SetCanonical(hdrRetryAfter, valRetryAfter)
	case fasthttp.StatusMethodNotAllowed:
		hdr.SetCanonical(hdrAllow, valMethods)
	case fasthttp.StatusRequestedRangeNotSatisfiable:
		var re *RangeError
		if errors.As(err, &re) {
			setContentRange(hdr, -1, -1, int64(re.Size))
		}
	}
	ctx.SetBodyString(fasthttp.StatusMessage(status))
}

// RangeError is returned for a Range that selects no byte of a complete
// object of Size bytes. It wraps ErrRange.
type RangeError struct{ Size int }

func (e *RangeError) Error() string {
	return "delivery: range not satisfiable for " + strconv.Itoa(e.Size) + " bytes"
}

// Unwrap returns ErrRange.
func (e *RangeError) Unwrap() error { return ErrRange }

// logAbort logs a streamed object cut off before its end.
func (h *Handler) logAbort(b *body, err error) {
	// A client that leaves or stops reading is routine; media that stops
	// coming is worth a look.
	ev := h.log.Debug()
	if errors.Is(err, ErrStalled) || errors.Is(err, ErrRangePastEnd) {
		ev = h.log.Info()
	}
	ev.Err(err).Str("stream", b.st.Name()).Uint64("msn", b.seg.MSN).Int("part", b.part).Int("offset", b.off).
		Msg("streamed object aborted")
}
