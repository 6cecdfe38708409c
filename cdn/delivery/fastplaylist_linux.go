package delivery

import (
	"time"

	"github.com/livetree/livetree/packager/dash"
	"github.com/livetree/livetree/packager/hls"
)

// playlist answers a request for a multivariant or media playlist or an
// MPD, or parks it until the part it names is there.
func (w *fastWorker) playlist(c *fastConn, r route, rq reqHead, now time.Time) outcome {
	h := w.f.h
	if rq.isHead {
		return passOn
	}
	st := h.cfg.Streams.Get(r.stream)
	if st == nil || r.kind != routeMedia && len(st.Tracks()) == 0 {
		return passOn // a media playlist's own track is checked below
	}
	if w.f.admit != nil && !w.f.admit(streamOf(rq, r), rq.query, true, c.client, now) {
		return passOn
	}
	req, ok := fastPlaylistRequest(rq.query)
	if !ok {
		return passOn
	}
	c.close = rq.close
	if r.kind == routeMPD {
		st.Touch()
		h.count(kindMPD)
		body := h.mpd.MPD(st, now, dash.Options{
			UTCTimingURL:     h.cfg.UTCTimingPath,
			Query:            req.Query,
			LatencyTarget:    h.cfg.LatencyTarget,
			SimpleAddressing: string(QueryValue(rq.query, "addressing")) == "simple",
		})
		return w.sendPlaylist(c, body, typeMPD, cacheNoCache, 0, 0, now)
	}
	if r.kind == routeMultivariant {
		req.MSN, req.Part, req.Skip = -1, -1, false
		st.Touch()
		h.count(kindMultivariant)
		return w.sendPlaylist(c, h.hls.Multivariant(st, req), typeM3U8, cacheNoCache, 0, 0, now)
	}
	tr, err := track(st, r.mediaKind)
	if err != nil {
		return passOn
	}
	tested := st.Version()
	ready, err := hls.Check(tr, st.Ended(), req)
	if err != nil {
		return passOn
	}
	st.Touch()
	h.count(kindMedia)
	wt := &fastWait{st: st, tr: tr, req: req, start: now, blocked: true}
	if ready {
		return w.answerMedia(c, wt, 0, now)
	}
	wt.deadline = now.Add(h.maxBlock(st))
	return w.park(c, wt, cond{kind: condPlaylist, track: tr.ID(), msn: req.MSN, part: req.Part}, tested, now)
}

// answerMedia sends wt's media playlist, after waiting that long.
func (w *fastWorker) answerMedia(c *fastConn, wt *fastWait, waited time.Duration, now time.Time) outcome {
	h := w.f.h
	s := h.memos.state(wt.st)
	cache := cacheNoCache
	maxAge := 0
	if wt.req.MSN >= 0 && !s.ended {
		// As serveMedia: a blocking answer may be cached for a while.
		cache, maxAge = nil, blockingMaxAge(s.target)
	}
	return w.sendPlaylist(c, h.media(s, wt.st, wt.tr, wt.req), typeM3U8, cache, maxAge, waited, now)
}

func (w *fastWorker) sendPlaylist(c *fastConn, body, contentType, cache []byte, maxAge int, waited time.Duration, now time.Time) outcome {
	hdr := w.f.h.playlistHead(w.hdr[:0], w.dateAt(now), len(body), contentType, cache, maxAge, waited, c.close)
	w.hdr = hdr[:0]
	w.f.h.stats.BytesOut.Add(uint64(len(body)))
	if !w.send(c, hdr, fastBody{mem: body}, nil, now) {
		return dropped
	}
	return answered
}

// sendError answers with an error status, as the full server's fail does.
func (w *fastWorker) sendError(c *fastConn, status int, now time.Time) outcome {
	w.f.h.stats.Errors.Add(1)
	w.f.h.log.Debug().Int("status", status).Msg("request failed on the fast path")
	out := w.f.h.errorAnswer(w.hdr[:0], w.dateAt(now), status, c.close)
	w.hdr = out[:0]
	if !w.send(c, out, fastBody{}, nil, now) {
		return dropped
	}
	return answered
}

// settle answers a playlist request after a look found it ready or not,
// or parks it again.
func (w *fastWorker) settle(c *fastConn, wt *fastWait, ready bool, err error, tested uint64, now time.Time) outcome {
	h := w.f.h
	switch {
	case err != nil:
		return w.sendError(c, statusOf(err), now)
	case ready:
		h.stats.Woken.Add(1)
		return w.answerMedia(c, wt, now.Sub(wt.start), now)
	case !now.Before(wt.deadline):
		h.stats.TimedOut.Add(1)
		return w.sendError(c, statusOf(ErrNotReady), now)
	}
	return w.park(c, wt, wt.cd, tested, now)
}
