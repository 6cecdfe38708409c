package play

import (
	"context"
	"time"
)

// segmentTrack plays one rendition as a plain HLS player: it reloads the
// playlist every target duration (half that when it did not change) and
// fetches whole segments once they are complete, starting three segments
// behind the newest.
type segmentTrack struct {
	*mediaTrack
	plPath     string
	pl         *mediaPlaylist
	next       int64 // the segment to fetch next
	positioned bool
}

// holdSegments is how far behind the newest complete segment a plain HLS
// player starts (HOLD-BACK, three target durations).
const holdSegments = 3

func newSegmentTrack(v *viewer, c *conn, idx int, plPath string) *segmentTrack {
	return &segmentTrack{mediaTrack: newMediaTrack(v, c, idx, dirOf(plPath)), plPath: plPath}
}

func (t *segmentTrack) run(ctx context.Context) error {
	for ctx.Err() == nil {
		reloaded := time.Now()
		got, err := t.step()
		if err != nil {
			if stop, err := t.failed(ctx, err); stop {
				return err
			}
			if !sleep(ctx, t.v.r.cfg.Retry) {
				return nil
			}
			continue
		}
		t.fails = 0
		wait := t.pl.target
		if got == 0 {
			wait /= 2
		}
		if !sleep(ctx, time.Until(reloaded.Add(max(wait, 50*time.Millisecond)))) {
			return nil
		}
	}
	return nil
}

// step reloads the playlist and fetches every new complete segment; it
// returns how many it fetched.
func (t *segmentTrack) step() (int, error) {
	if err := t.queue(t.plPath); err != nil {
		return 0, err
	}
	if err := t.c.flush(); err != nil {
		return 0, err
	}
	if _, err := t.c.read(t.deadline()); err != nil {
		return 0, err
	}
	if code := t.c.status(); code != 200 {
		return 0, &StatusError{Code: code, URL: t.plPath}
	}
	pl, err := t.v.r.media.get(t.c.bodyBytes())
	if err != nil {
		return 0, err
	}
	t.v.r.stats.requests.Add(1)
	t.pl = pl
	var complete []*hlsSegment
	for i := range pl.segs {
		if pl.segs[i].uri != "" {
			complete = append(complete, &pl.segs[i])
		}
	}
	if len(complete) == 0 {
		return 0, nil
	}
	if !t.positioned || t.next < complete[0].msn {
		if t.positioned {
			t.v.r.stats.resyncs.Add(1)
			t.v.buf.Flush(time.Now())
			t.live = false
		}
		t.next = complete[max(len(complete)-holdSegments, 0)].msn
		t.positioned = true
	}
	got := 0
	for i, s := range complete {
		if s.msn < t.next {
			continue
		}
		// The newest complete segment is the live edge for this player.
		t.live = t.live || i == len(complete)-1
		if err := t.ensureInit(s.mapURI); err != nil {
			return got, err
		}
		if err := t.queue(s.uri); err != nil {
			return got, err
		}
		if err := t.c.flush(); err != nil {
			return got, err
		}
		if _, err := t.readMedia(s.uri); err != nil {
			return got, err
		}
		t.next = s.msn + 1
		got++
	}
	return got, nil
}
