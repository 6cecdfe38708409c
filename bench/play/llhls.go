package play

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// hlsTrack plays one LL-HLS rendition. In the steady state each step
// sends two requests at once on the rendition's connection: the part the
// last playlist hinted at, which the server holds until the part begins
// and streams as it is written, and the blocking reload that waits for
// that same part, which therefore returns right after it.
type hlsTrack struct {
	*mediaTrack
	plPath     string // the media playlist's path and query
	pl         *mediaPlaylist
	next       pos  // the part to fetch next
	positioned bool // next is set
	// reloads counts blocking reloads in a row that brought no media, so
	// that a server answering them without the part cannot make the
	// viewer spin.
	reloads int
	// segMSN and segTicks are the segment parts were last fetched from
	// and the media fetched of it, for a viewer that must fall back to
	// the whole segment.
	segMSN   int64
	segTicks uint64
}

func newHLSTrack(v *viewer, c *conn, idx int, plPath string) *hlsTrack {
	return &hlsTrack{mediaTrack: newMediaTrack(v, c, idx, dirOf(plPath)), plPath: plPath}
}

// run plays until ctx ends, or returns the last error once maxFails come
// in a row.
func (t *hlsTrack) run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := t.step()
		if err == nil {
			t.fails = 0
			continue
		}
		if stop, err := t.failed(ctx, err); stop {
			return err
		}
		t.pl = nil // start again from a fresh playlist
		if !sleep(ctx, t.v.r.cfg.Retry) {
			return nil
		}
	}
	return nil
}

// step makes one move: load the playlist, fetch a part, or wait for one.
func (t *hlsTrack) step() error {
	if t.pl == nil {
		return t.load()
	}
	q := t.next
	// A part index past the end of a complete segment means the next
	// segment's first part.
	if s := t.pl.segment(q.msn); s != nil && s.uri != "" && q.part >= int64(len(s.parts)) && len(s.parts) > 0 {
		q = pos{q.msn + 1, 0}
		t.next = q
	}
	switch {
	case t.pl.part(q) != nil:
		// Behind the live edge: the part is complete, fetch it at once.
		p := t.pl.part(q)
		if err := t.ensureInit(t.pl.mapFor(q.msn)); err != nil {
			return err
		}
		o, err := t.fetch(p.uri)
		if err != nil {
			return err
		}
		t.got(q, o)
		t.next = t.pl.after(q)
		return nil
	case t.pl.hint != "" && t.pl.hintPos == q:
		return t.hinted(q)
	case q.msn < t.pl.first():
		// Behind what the playlist lists: a delta update leaves out older
		// segments, so read the whole playlist, which keeps the position
		// if it is still in the window and jumps to live otherwise.
		t.pl = nil
		return nil
	}
	if s := t.pl.segment(q.msn); s != nil && s.uri != "" && len(s.parts) == 0 {
		// Too old to be listed in parts: fetch the whole segment. Of a
		// segment begun part by part, only the rest is new media.
		if err := t.ensureInit(s.mapURI); err != nil {
			return err
		}
		if q.part > 0 && t.segMSN == q.msn {
			t.discount = t.segTicks
		}
		o, err := t.fetch(s.uri)
		if err != nil {
			return err
		}
		t.got(q, o)
		t.next = pos{q.msn + 1, 0}
		return nil
	}
	// Not listed and not hinted: wait for it with a blocking reload.
	if t.pl.ended {
		return ErrEnded
	}
	if t.reloads++; t.reloads > 3 {
		t.reloads = 0
		return fmt.Errorf("%w: blocking reloads for part %d.%d return without it", ErrBadPlaylist, q.msn, q.part)
	}
	t.queuePlaylist(q)
	sent := time.Now()
	if err := t.c.flush(); err != nil {
		return err
	}
	return t.readPlaylist(q, sent)
}

// hinted fetches the preload-hinted part q together with the blocking
// reload that names it.
func (t *hlsTrack) hinted(q pos) error {
	if err := t.ensureInit(t.pl.mapFor(q.msn)); err != nil {
		return err
	}
	// From the first part fetched ahead of its completion on, the viewer
	// is at the live edge, and its parts' age is its latency.
	t.live = true
	hint, before := t.pl.hint, t.pl
	if err := t.queue(hint); err != nil {
		return err
	}
	t.queuePlaylist(q)
	sent := time.Now()
	if err := t.c.flush(); err != nil {
		return err
	}
	o, err := t.readMedia(hint)
	if err != nil {
		if t.c.closed() {
			return err // the playlist's answer went with the connection
		}
		if perr := t.readPlaylist(q, sent); perr != nil {
			return perr
		}
		return err
	}
	if err := t.readPlaylist(q, sent); err != nil {
		return err
	}
	if h := t.v.r.hooks.hint; h != nil {
		h(hintEvent{q: q, uri: hint, sent: sent, obj: o, timescale: t.init.timescale, before: before, after: t.pl})
	}
	if at, ok := t.pl.find(hint); ok {
		q = at
	}
	t.got(q, o)
	t.next = t.pl.after(q)
	return nil
}

// got notes media fetched for part q.
func (t *hlsTrack) got(q pos, o object) {
	t.reloads = 0
	if q.msn != t.segMSN {
		t.segMSN, t.segTicks = q.msn, 0
	}
	t.segTicks += o.ticks
}

// load fetches the playlist without blocking and, for a track with no
// position or one that fell out of the window, picks the live start.
func (t *hlsTrack) load() error {
	if err := t.queue(t.plPath); err != nil {
		return err
	}
	if err := t.c.flush(); err != nil {
		return err
	}
	if err := t.readPlaylist(pos{-1, -1}, time.Time{}); err != nil {
		return err
	}
	if t.positioned && t.next.msn >= t.pl.first() {
		return nil
	}
	start, skip, ok := t.pl.liveStart()
	if !ok {
		t.pl = nil
		return fmt.Errorf("%w: no parts to start from", ErrBadPlaylist)
	}
	now := time.Now()
	if t.positioned {
		t.v.r.stats.resyncs.Add(1)
		t.v.buf.Flush(now)
	}
	t.v.buf.Seek(now, t.idx, skip)
	t.next, t.positioned, t.live = start, true, false
	return nil
}

// fetch GETs a complete part or segment.
func (t *hlsTrack) fetch(uri string) (object, error) {
	if err := t.queue(uri); err != nil {
		return object{}, err
	}
	if err := t.c.flush(); err != nil {
		return object{}, err
	}
	return t.readMedia(uri)
}

// queuePlaylist queues a blocking reload for part q, asking for a delta
// update when the server offers them.
func (t *hlsTrack) queuePlaylist(q pos) {
	b := t.path[:0]
	b = append(b, t.plPath...)
	if strings.IndexByte(t.plPath, '?') >= 0 {
		b = append(b, '&')
	} else {
		b = append(b, '?')
	}
	b = append(b, "_HLS_msn="...)
	b = strconv.AppendInt(b, q.msn, 10)
	b = append(b, "&_HLS_part="...)
	b = strconv.AppendInt(b, q.part, 10)
	if t.v.r.cfg.Skip && t.pl != nil && t.pl.canSkip {
		b = append(b, "&_HLS_skip=YES"...)
	}
	t.path = b
	t.c.get(b)
}

// readPlaylist reads a playlist answer; q is what a blocking request
// asked for, or -1.
func (t *hlsTrack) readPlaylist(q pos, sent time.Time) error {
	if _, err := t.c.read(t.deadline()); err != nil {
		return err
	}
	if code := t.c.status(); code != 200 {
		return &StatusError{Code: code, URL: t.plPath}
	}
	pl, err := t.v.r.media.get(t.c.bodyBytes())
	if err != nil {
		return err
	}
	t.v.r.stats.requests.Add(1)
	t.pl = pl
	if h := t.v.r.hooks.playlist; h != nil && q.msn >= 0 {
		h(q, sent, time.Now(), pl)
	}
	return nil
}
