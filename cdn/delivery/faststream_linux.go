package delivery

import (
	"strconv"
	"strings"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// fastStream is a response, on the fast path, for a part or segment still
// being written: it waits for the object to begin, then streams it with
// chunked transfer, one HTTP chunk per write the packager made, parking
// between them in the loop's group for the same bytes.
type fastStream struct {
	st    *window.Stream
	tr    *window.Track
	name  window.ObjectName
	start time.Time
	limit time.Time // when waiting for the object to begin gives up; zero before the first wait

	begun    bool          // the headers are out
	stall    time.Duration // how long the object may stop growing
	progress time.Time     // when bytes last went out
	cursor
}

var (
	chunkEnd      = []byte("\r\n")
	chunkEndFinal = []byte("\r\n0\r\n\r\n")
	lastChunk     = []byte("0\r\n\r\n")
)

// object answers a request for an init segment, part or segment: a
// complete one at once, one still being written or about to begin by
// streaming it.
func (w *fastWorker) object(c *fastConn, r route, rq reqHead, now time.Time) outcome {
	h := w.f.h
	st := h.cfg.Streams.Get(r.stream)
	if st == nil {
		return passOn
	}
	if w.f.admit != nil && !w.f.admit(streamOf(rq, r), rq.query, false, c.client, now) {
		return passOn
	}
	tr, err := track(st, r.obj.Kind)
	if err != nil {
		return passOn
	}
	c.close = rq.close
	if body, kind, ok := completeObject(tr, r.obj); ok {
		st.Touch()
		h.count(kind)
		return w.sendComplete(c, r.obj.Kind, body, rq.isHead, 0, now)
	}
	if rq.isHead || r.obj.Type == window.ObjInit {
		return passOn
	}
	name := r.obj
	name.Epoch = strings.Clone(name.Epoch) // it outlives the read buffer
	return w.begin(c, &fastStream{st: st, tr: tr, name: name, start: now}, now, true)
}

// sendComplete answers with a complete object, or only its headers.
func (w *fastWorker) sendComplete(c *fastConn, kind string, body fastBody, headOnly bool, waited time.Duration, now time.Time) outcome {
	hdr := w.f.h.objectHead(w.hdr[:0], w.dateAt(now), contentType(kind), body.size(), waited, c.close)
	w.hdr = hdr[:0]
	if headOnly {
		body = fastBody{}
	}
	// Counted when handed over, as sendBytes counts.
	w.f.h.stats.BytesOut.Add(uint64(body.size()))
	if !w.send(c, hdr, body, nil, now) {
		return dropped
	}
	return answered
}

// begin starts streaming s once its object has begun, or parks the
// request until it does. On a request's first look, what the full server
// would answer with an error is passed on to it.
func (w *fastWorker) begin(c *fastConn, s *fastStream, now time.Time, first bool) outcome {
	h := w.f.h
	tested := s.st.Version()
	seg, hold, err := locate(s.st, s.tr, s.name)
	cur := cursor{seg: seg, part: -1, end: -1}
	if err == nil && seg != nil && s.name.Type == window.ObjPart {
		var p window.Part
		p, hold, err = findPart(s.tr, seg, s.name.Part)
		cur.off, cur.part = p.Offset, s.name.Part
	}
	if err != nil {
		if first {
			return passOn
		}
		return w.sendError(c, statusOf(err), now)
	}
	if first {
		s.st.Touch()
		if s.name.Type == window.ObjSegment {
			h.count(kindSegment)
		} else {
			h.count(kindPart)
		}
	}
	if hold != (cond{}) {
		if s.limit.IsZero() {
			s.limit = now.Add(h.maxBlock(s.st))
		}
		if !now.Before(s.limit) {
			h.stats.TimedOut.Add(1)
			return w.sendError(c, statusOf(ErrNotReady), now)
		}
		return w.park(c, &fastWait{st: s.st, deadline: s.limit, blocked: true, obj: s}, hold, tested, now)
	}
	waited := time.Duration(0)
	if !s.limit.IsZero() {
		h.stats.Woken.Add(1)
		waited = now.Sub(s.start)
	}
	// As the full server answers an object complete by the end of the
	// wait: with its length.
	if body, _, ok := completeObject(s.tr, s.name); ok {
		return w.sendComplete(c, s.name.Kind, body, false, waited, now)
	}
	s.cursor = cur
	s.stall, s.progress = h.maxBlock(s.st), now
	c.stream = s
	h.stats.Streaming.Add(1)
	return w.pump(c, now)
}

// pump sends what c's stream has that the client lacks, ending the
// response at the object's end, and parks c until more comes. A stream
// that stops growing for its stall limit is cut off without its last
// chunk, so the client sees an error rather than a short object.
func (w *fastWorker) pump(c *fastConn, now time.Time) outcome {
	h := w.f.h
	s := c.stream
	for {
		tested := s.st.Version()
		data, err := s.take()
		if err != nil {
			h.log.Info().Err(err).Str("stream", s.st.Name()).Msg("streamed object aborted")
			w.drop(c)
			return dropped
		}
		if len(data) == 0 && !s.ended {
			if now.Sub(s.progress) >= s.stall {
				h.log.Info().Str("stream", s.st.Name()).Uint64("msn", s.seg.MSN).Int("offset", s.off).
					Msg("streamed object aborted: stalled")
				w.drop(c)
				return dropped
			}
			if !s.begun {
				// The headers go at once, as the full server sends them.
				if !w.send(c, w.streamHead(c, s, now), fastBody{}, nil, now) {
					return dropped
				}
				if c.pending() {
					return answered // pump goes on once they are out
				}
			}
			grow := cond{kind: condGrow, track: s.tr.ID(), msn: int64(s.seg.MSN), part: int64(s.part), off: s.off}
			return w.park(c, &fastWait{st: s.st, deadline: s.progress.Add(s.stall), obj: s}, grow, tested, now)
		}
		hdr := w.hdr[:0]
		if !s.begun {
			hdr = w.streamHead(c, s, now)
		}
		tail := chunkEnd
		if len(data) > 0 {
			hdr = strconv.AppendInt(hdr, int64(len(data)), 16)
			hdr = append(hdr, chunkEnd...)
			if s.ended {
				tail = chunkEndFinal
			}
		} else {
			tail = lastChunk
		}
		w.hdr = hdr[:0]
		s.progress = now
		h.stats.BytesOut.Add(uint64(len(data)))
		if !w.send(c, hdr, fastBody{mem: data}, tail, now) {
			return dropped
		}
		if s.ended {
			w.endStream(c, false)
		}
		if c.stream == nil || c.pending() {
			return answered
		}
	}
}

// streamHead returns the headers of c's stream, which are then out, or
// on their way.
func (w *fastWorker) streamHead(c *fastConn, s *fastStream, now time.Time) []byte {
	s.begun = true
	waited := time.Duration(0)
	if !s.limit.IsZero() {
		waited = now.Sub(s.start)
	}
	hdr := w.f.h.streamHead(w.hdr[:0], w.dateAt(now), contentType(s.name.Kind), waited, c.close)
	w.hdr = hdr[:0]
	return hdr
}

// endStream forgets c's stream, finished or cut short.
func (w *fastWorker) endStream(c *fastConn, aborted bool) {
	c.stream = nil
	w.f.h.stats.Streaming.Add(-1)
	if aborted {
		w.f.h.stats.Aborted.Add(1)
	}
}
