package play

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// dashTrackPlayer plays one LL-DASH adaptation set: it requests the
// segment being written, reads it chunk by chunk with chunked transfer,
// and asks for the next number as soon as that one completes; the server
// holds the request until the segment begins. It reloads the MPD as its
// minimumUpdatePeriod asks, sending the reload just before the next
// segment request on the same connection, so at most once a segment; a
// new period (a new publish) or a refused number moves it to the live
// edge of the newest period.
type dashTrackPlayer struct {
	*mediaTrack
	mpdPath    string
	audio      bool
	tr         *dashTrack
	period     string
	update     time.Duration // the MPD's minimumUpdatePeriod
	loaded     time.Time     // when the MPD was last requested
	next       int64
	positioned bool
}

func newDASHTrack(v *viewer, c *conn, idx int, mpdPath string, audio bool) *dashTrackPlayer {
	t := &dashTrackPlayer{mediaTrack: newMediaTrack(v, c, idx, dirOf(mpdPath)), mpdPath: mpdPath, audio: audio}
	t.perChunk, t.live = true, true
	return t
}

// playDASH starts the DASH adaptation sets from the MPD just read on c.
func (v *viewer) playDASH(ctx context.Context, c *conn, path string) error {
	m, err := v.r.mpds.get(c.bodyBytes())
	if err != nil {
		return v.failed(err)
	}
	withAudio := m.audio != nil && v.r.cfg.Audio
	tracks := 1
	if withAudio {
		tracks = 2
	}
	v.newBuffer(tracks)
	video := newDASHTrack(v, c, 0, path, false)
	video.loaded = time.Now()
	video.use(m)
	if !withAudio {
		return video.run(ctx)
	}
	loaded := video.loaded
	return v.both(ctx, c, video.run, func(ctx context.Context) error {
		ac := newConn(ctx, c.host, v.r.stats, v.r.dial)
		defer ac.close()
		audio := newDASHTrack(v, ac, 1, path, true)
		audio.loaded = loaded
		audio.use(m)
		return audio.run(ctx)
	})
}

// use takes the track's template from m and, unless the track still has
// a number in m's range, starts at the segment being written.
func (t *dashTrackPlayer) use(m *dashManifest) bool {
	tr := m.video
	if t.audio {
		tr = m.audio
	}
	if tr == nil {
		return false
	}
	t.tr, t.update = tr, m.update
	samePeriod := m.period == t.period
	t.period = m.period
	if t.positioned && samePeriod && t.next >= tr.first && t.next <= tr.last+1 {
		return true
	}
	if t.positioned {
		t.v.r.stats.resyncs.Add(1)
		t.v.buf.Flush(time.Now())
	}
	t.next, t.positioned = tr.last, true
	return true
}

func (t *dashTrackPlayer) run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := t.step()
		if err == nil {
			t.fails = 0
			continue
		}
		if stop, err := t.failed(ctx, err); stop {
			return err
		}
		var se *StatusError
		if errors.As(err, &se) && (se.Code == 404 || se.Code == 410) {
			t.tr = nil // read the MPD again: a new period, or fell behind
		}
		if !sleep(ctx, t.v.r.cfg.Retry) {
			return nil
		}
	}
	return nil
}

func (t *dashTrackPlayer) step() error {
	if t.tr == nil {
		return t.reload()
	}
	if err := t.ensureInit(t.tr.init); err != nil {
		return err
	}
	refresh := t.update > 0 && time.Since(t.loaded) >= t.update
	if refresh {
		t.loaded = time.Now()
		if err := t.queue(t.mpdPath); err != nil {
			return err
		}
	}
	uri := t.tr.url(t.next)
	if err := t.queue(uri); err != nil {
		return err
	}
	if err := t.c.flush(); err != nil {
		return err
	}
	if refresh {
		m, err := t.readMPD()
		if err != nil {
			t.c.close() // drop the segment request queued behind it
			return err
		}
		if m.period != t.period {
			// A new publish: the queued request is for the old period.
			t.c.close()
			if !t.use(m) {
				return fmt.Errorf("%w: the MPD lost its audio", ErrBadPlaylist)
			}
			return nil
		}
		t.use(m)
	}
	if _, err := t.readMedia(uri); err != nil {
		return err
	}
	t.next++
	return nil
}

// readMPD reads an MPD answer.
func (t *dashTrackPlayer) readMPD() (*dashManifest, error) {
	if _, err := t.c.read(t.deadline()); err != nil {
		return nil, err
	}
	if code := t.c.status(); code != 200 {
		return nil, &StatusError{Code: code, URL: t.mpdPath}
	}
	m, err := t.v.r.mpds.get(t.c.bodyBytes())
	if err != nil {
		return nil, err
	}
	t.v.r.stats.requests.Add(1)
	return m, nil
}

// reload reads the MPD again.
func (t *dashTrackPlayer) reload() error {
	if err := t.queue(t.mpdPath); err != nil {
		return err
	}
	t.loaded = time.Now()
	if err := t.c.flush(); err != nil {
		return err
	}
	m, err := t.readMPD()
	if err != nil {
		return err
	}
	if !t.use(m) {
		return fmt.Errorf("%w: the MPD lost its audio", ErrBadPlaylist)
	}
	return nil
}
