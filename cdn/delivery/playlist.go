package delivery

import (
	"bytes"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/dash"
	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// playlistRequest reads a playlist request's delivery directives and the
// options every URI of the playlist carries on.
func playlistRequest(ctx *fasthttp.RequestCtx) (hls.Request, error) {
	args := ctx.QueryArgs()
	req, err := hls.ParseRequest(string(args.Peek("_HLS_msn")), string(args.Peek("_HLS_part")),
		string(args.Peek("_HLS_skip")), string(args.Peek("lt_byterange")))
	if err != nil {
		return req, err
	}
	req.Query = tokenQuery(args)
	return req, nil
}

// tokenQuery returns the query every URI of a playlist or manifest carries
// on: the playback token, if any, re-encoded.
func tokenQuery(args *fasthttp.Args) string {
	tok := args.Peek("token")
	if len(tok) == 0 {
		return ""
	}
	return "token=" + url.QueryEscape(string(tok))
}

func (h *Handler) serveMultivariant(ctx *fasthttp.RequestCtx, st *window.Stream) error {
	req, err := playlistRequest(ctx)
	if err != nil {
		return err
	}
	if len(st.Tracks()) == 0 {
		return ErrNotFound
	}
	// Delivery directives apply to media playlists only.
	req.MSN, req.Part, req.Skip = -1, -1, false
	h.sendPlaylist(ctx, h.hls.Multivariant(st, req), typeM3U8, cacheNoCache)
	return nil
}

// serveMedia answers a media playlist request, blocking until the segment
// or part its directives name is in the playlist (LL-HLS blocking playlist
// reload).
func (h *Handler) serveMedia(ctx *fasthttp.RequestCtx, st *window.Stream, kind string) error {
	req, err := playlistRequest(ctx)
	if err != nil {
		return err
	}
	tr, err := track(st, kind)
	if err != nil {
		return err
	}
	c := cond{kind: condPlaylist, track: tr.ID(), msn: req.MSN, part: req.Part}
	waited, err := h.await(ctx, st, c, func() (bool, error) { return hls.Check(tr, st.Ended(), req) }, time.Time{})
	if err != nil {
		return err
	}
	s := h.memos.state(st)
	hdr := &ctx.Response.Header
	if req.MSN >= 0 && !s.ended {
		// A blocking response is the playlist as it stood when the named
		// part appeared; a cache may give it to anyone asking for the same
		// part a little later, as the spec allows.
		setMaxAge(hdr, blockingMaxAge(s.target))
	} else {
		hdr.SetCanonical(hdrCacheControl, cacheNoCache)
	}
	if waited > 0 {
		setServerTiming(hdr, waited)
	}
	h.sendPlaylist(ctx, h.media(s, st, tr, req), typeM3U8, nil)
	return nil
}

// blockingMaxAge is the cache lifetime of a blocking playlist response:
// three target durations (target is the longest of the stream's), at
// least one second.
func blockingMaxAge(target time.Duration) int {
	return int(3 * target / time.Second)
}

// argAddressing=simple asks for an MPD that numbers live segments by the
// clock (dash.Options.SimpleAddressing).
var (
	argAddressing = []byte("addressing")
	valSimple     = []byte("simple")
)

func (h *Handler) serveMPD(ctx *fasthttp.RequestCtx, st *window.Stream) error {
	if len(st.Tracks()) == 0 {
		return ErrNotFound
	}
	args := ctx.QueryArgs()
	body := h.mpd.MPD(st, time.Now(), dash.Options{
		UTCTimingURL:     h.cfg.UTCTimingPath,
		Query:            tokenQuery(args),
		LatencyTarget:    h.cfg.LatencyTarget,
		SimpleAddressing: bytes.Equal(args.PeekBytes(argAddressing), valSimple),
	})
	h.sendPlaylist(ctx, body, typeMPD, cacheNoCache)
	return nil
}

// sendPlaylist answers with a rendered playlist or manifest. The renderers
// never change a body they returned, so it is sent without a copy.
func (h *Handler) sendPlaylist(ctx *fasthttp.RequestCtx, body, contentType, cache []byte) {
	hdr := &ctx.Response.Header
	hdr.SetContentTypeBytes(contentType)
	if cache != nil {
		hdr.SetCanonical(hdrCacheControl, cache)
	}
	ctx.Response.SetBodyRaw(body)
	if !ctx.IsHead() {
		h.stats.BytesOut.Add(uint64(len(body)))
	}
}

// setServerTiming reports how long a request waited for its media.
func setServerTiming(hdr *fasthttp.ResponseHeader, waited time.Duration) {
	var b [40]byte
	hdr.SetCanonical(hdrServerTiming, appendBlockTiming(b[:0], waited))
}
