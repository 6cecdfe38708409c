package play

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// mediaTrack is what every player's rendition shares: its connection, its
// init segment, the scanner its media goes through, and the accounting of
// what it receives into the viewer's buffer and the run's statistics.
type mediaTrack struct {
	v       *viewer
	c       *conn
	idx     int  // the track's index in the viewer's buffer
	primary bool // whether its media is what latency is measured on
	// perChunk adds media to the buffer chunk by chunk as it arrives
	// (LL-DASH); otherwise a whole part or segment is added when complete.
	perChunk bool
	// live is set once the track has reached the live edge; the media it
	// fetches before, to fill the start buffer, is old by design and is
	// not sampled for latency.
	live bool

	fails int // failed steps in a row

	dir     string // directory of the manifest's path, ending in '/'
	initURI string // init segment in use
	init    trackInit

	sc      chunkScanner
	onChunk func(scannedChunk) // t.chunk, bound once
	path    []byte             // scratch for request paths

	// discount is media the next object repeats, already in the buffer,
	// in the track's timescale.
	discount uint64

	unitPrft  time.Time // prft of the first chunk of the object being read
	unitTicks uint64    // media in the object so far
	newest    time.Time // prft of the newest chunk of the last read, perChunk
	fresh     bool      // a chunk completed in the last read, perChunk
}

// failed counts a failed step. It reports whether the track should stop,
// and the error to stop with: nil when ctx ended, which explains the
// failure, or err once maxFails come in a row.
func (t *mediaTrack) failed(ctx context.Context, err error) (bool, error) {
	if ctx.Err() != nil {
		return true, nil
	}
	t.v.r.stats.fail(err)
	if t.fails++; t.fails >= maxFails {
		return true, err
	}
	return false, nil
}

func newMediaTrack(v *viewer, c *conn, idx int, dir string) *mediaTrack {
	t := &mediaTrack{v: v, c: c, idx: idx, primary: idx == 0, dir: dir}
	t.onChunk = t.chunk
	return t
}

// queue queues a GET of uri, resolved against the manifest's directory.
func (t *mediaTrack) queue(uri string) error {
	t.path = t.path[:0]
	switch {
	case strings.HasPrefix(uri, "/"):
	case strings.Contains(uri, "://"):
		// Absolute URLs are served only from the viewer's own host.
		rest, ok := strings.CutPrefix(uri, "http://"+t.c.host)
		if !ok {
			return fmt.Errorf("%w: %q is on another host", ErrBadPlaylist, clip([]byte(uri)))
		}
		uri = rest
	default:
		t.path = append(t.path, t.dir...)
	}
	t.path = append(t.path, uri...)
	t.c.get(t.path)
	return nil
}

// deadline is when a request sent now must be answered.
func (t *mediaTrack) deadline() time.Time { return time.Now().Add(t.v.r.cfg.Timeout) }

// ensureInit fetches and parses the init segment uri unless it is the one
// in use.
func (t *mediaTrack) ensureInit(uri string) error {
	if uri == t.initURI && t.init.timescale != 0 {
		return nil
	}
	if uri == "" {
		return fmt.Errorf("%w: no init segment", ErrBadPlaylist)
	}
	if err := t.queue(uri); err != nil {
		return err
	}
	if err := t.c.flush(); err != nil {
		return err
	}
	if _, err := t.c.read(t.deadline()); err != nil {
		return err
	}
	if code := t.c.status(); code != 200 {
		return &StatusError{Code: code, URL: uri}
	}
	ti, err := t.v.r.inits.get(t.c.bodyBytes())
	if err != nil {
		return err
	}
	t.v.r.stats.requests.Add(1)
	t.initURI, t.init = uri, ti
	return nil
}

// object is what readMedia read.
type object struct {
	first, done time.Time // first byte of the answer, last byte of the body
	bytes       int64
	prft        time.Time // of the first chunk
	ticks       uint64    // media duration, in the track's timescale
}

// readMedia reads the next response, a part, segment or chunked segment,
// through the box scanner, and accounts for its media.
func (t *mediaTrack) readMedia(uri string) (object, error) {
	var o object
	var err error
	t.unitPrft, t.unitTicks = time.Time{}, 0
	t.sc.reset(t.init.defaultDur, t.onChunk)
	if o.first, err = t.c.stream(t.deadline(), t); err != nil {
		return o, err
	}
	if code := t.c.status(); code != 200 {
		return o, &StatusError{Code: code, URL: uri}
	}
	o.bytes = t.c.resp.BodyLen
	if !t.sc.complete() {
		t.c.close()
		return o, fmt.Errorf("%w: %s ends inside a box", ErrTruncated, clip([]byte(uri)))
	}
	o.done, o.prft, o.ticks = time.Now(), t.unitPrft, t.unitTicks
	t.v.r.stats.requests.Add(1)
	if h := t.v.r.hooks.media; h != nil {
		h(uri)
	}
	if !t.perChunk {
		t.received(o.done, o.prft, o.ticks)
	}
	return o, nil
}

// Write takes body bytes as they arrive. In perChunk mode the latency is
// sampled once per read, on the newest chunk completed by it.
func (t *mediaTrack) Write(p []byte) (int, error) {
	n, err := t.sc.Write(p)
	if t.fresh {
		t.fresh = false
		if t.primary && t.live && !t.newest.IsZero() {
			t.v.r.stats.latencyObserve(t.v.proto, time.Since(t.newest))
		}
	}
	return n, err
}

// chunk is called by the scanner for each complete chunk.
func (t *mediaTrack) chunk(c scannedChunk) {
	if t.unitPrft.IsZero() {
		t.unitPrft = c.Prft
	}
	t.unitTicks += c.Ticks
	if t.perChunk {
		now := time.Now()
		d := t.duration(c.Ticks)
		ahead := t.v.buf.Add(now, t.idx, d)
		if t.primary && !c.Prft.IsZero() && t.v.buf.Playing(now) {
			t.v.r.stats.playbackObserve(t.v.proto, now.Sub(c.Prft)+ahead)
		}
		t.newest, t.fresh = c.Prft, true
	}
}

// received accounts for a complete part or segment: it goes into the
// buffer, and its age is the viewer's latency behind live.
func (t *mediaTrack) received(now, prft time.Time, ticks uint64) {
	ticks -= min(ticks, t.discount)
	t.discount = 0
	ahead := t.v.buf.Add(now, t.idx, t.duration(ticks))
	if !t.primary || prft.IsZero() {
		return
	}
	lat := now.Sub(prft)
	if t.live {
		t.v.r.stats.latencyObserve(t.v.proto, lat)
	}
	if t.v.buf.Playing(now) {
		t.v.r.stats.playbackObserve(t.v.proto, lat+ahead)
	}
}

func (t *mediaTrack) duration(ticks uint64) time.Duration {
	if t.init.timescale == 0 {
		return 0
	}
	return time.Duration(ticks * uint64(time.Second) / uint64(t.init.timescale))
}

// dirOf returns the directory of a request path, up to its last '/'
// before any query.
func dirOf(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p[:strings.LastIndexByte(p, '/')+1]
}
