package play

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// maxFails is how many errors in a row a rendition takes before the
// viewer starts over from its entry URL, as a player that gives up
// reloads the page.
const maxFails = 3

// viewer is one simulated player. Its goroutine runs the video rendition;
// the audio rendition, when fetched, runs on a second goroutine it owns.
type viewer struct {
	r     *Runner
	spec  viewerSpec
	proto int       // spec.proto's index, for per-player statistics
	at    time.Time // arrival
	// buf is the playback model, set on the first join; the viewer's
	// goroutines use it directly, the sampler through shared.
	buf    *Buffer
	shared atomic.Pointer[Buffer]
	// edge is the serving edge's count of viewers, which this viewer is
	// in while it plays from that edge.
	edge *atomic.Int64
}

// run plays until ctx ends.
func (v *viewer) run(ctx context.Context) {
	st := v.r.stats
	st.arrived.Add(1)
	st.active.Add(1)
	defer st.active.Add(-1)
	defer v.leaveEdge()
	for ctx.Err() == nil {
		c, path, err := v.join(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			st.fail(err)
			if !sleep(ctx, v.r.cfg.Retry) {
				break
			}
			continue
		}
		_ = v.play(ctx, c, path) // counted where it happened
		c.close()
		if !sleep(ctx, v.r.cfg.Retry) {
			break
		}
	}
	if v.buf != nil {
		st.finish(v.buf.Finish(time.Now()))
	}
}

// join requests the entry URL, following redirects, and returns the
// connection to the server that answered, with the answer read, and the
// path it answered.
func (v *viewer) join(ctx context.Context) (*conn, string, error) {
	st := v.r.stats
	u, err := url.Parse(v.spec.url)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrConfig, err)
	}
	start := time.Now()
	for redirects := 0; ; redirects++ {
		c := newConn(ctx, u.Host, st, v.r.dial)
		path := u.RequestURI()
		c.get([]byte(path))
		sent := time.Now()
		if err := c.flush(); err != nil {
			return nil, "", err
		}
		first, err := c.read(sent.Add(v.r.cfg.Timeout))
		if err != nil {
			return nil, "", err
		}
		code := c.status()
		if code >= 300 && code < 400 {
			loc := string(c.header("Location"))
			c.close()
			st.requests.Add(1)
			if redirects == 0 {
				st.redirect.Observe(time.Since(start))
			}
			st.redirects.Add(1)
			if redirects >= v.r.cfg.MaxRedirects {
				return nil, "", ErrTooManyRedirects
			}
			next, err := u.Parse(loc)
			if err != nil || next.Scheme != "http" {
				return nil, "", fmt.Errorf("%w: redirect to %q", ErrTooManyRedirects, clip([]byte(loc)))
			}
			u = next
			continue
		}
		if code != 200 {
			c.close()
			return nil, "", &StatusError{Code: code, URL: path}
		}
		st.requests.Add(1)
		st.joined.Add(1)
		st.ttfb.Observe(first.Sub(sent))
		name := string(c.header("X-Livetree-Hop"))
		if name == "" {
			name = u.Host
		}
		v.enterEdge(name)
		return c, path, nil
	}
}

func (v *viewer) enterEdge(name string) {
	v.leaveEdge()
	v.edge = v.r.stats.edge(name)
}

func (v *viewer) leaveEdge() {
	if v.edge != nil {
		v.edge.Add(-1)
		v.edge = nil
	}
}

// newBuffer makes the viewer's buffer on its first join; a viewer that
// joins again keeps its buffer, and what it holds, as a page reload would
// not.
func (v *viewer) newBuffer(tracks int) {
	if v.buf != nil {
		v.buf.Flush(time.Now())
		return
	}
	st := v.r.stats
	v.buf = NewBuffer(tracks, v.r.cfg.StartAfter)
	v.buf.onStart = func(now time.Time) {
		st.started.Add(1)
		st.join.Observe(now.Sub(v.at))
	}
	v.buf.onStall = st.stallTime.Observe
	v.shared.Store(v.buf)
}

// buffer returns the viewer's buffer, or nil before its first join; it is
// safe to call from any goroutine.
func (v *viewer) buffer() *Buffer { return v.shared.Load() }

// play runs the viewer's player on c, whose first answer, for path, has
// been read, until ctx ends or a rendition gives up.
func (v *viewer) play(ctx context.Context, c *conn, path string) error {
	switch v.spec.proto {
	case DASH:
		return v.playDASH(ctx, c, path)
	default:
		return v.playHLS(ctx, c, path)
	}
}

// playHLS starts the HLS renditions from the multivariant playlist just
// read on c (or a media playlist given as the entry).
func (v *viewer) playHLS(ctx context.Context, c *conn, path string) error {
	dir := dirOf(path)
	body := c.bodyBytes()
	vars, err := v.r.variants.get(body)
	if err != nil {
		return v.failed(err)
	}
	videoPath := path
	if vars.video != "" {
		videoPath = resolve(dir, vars.video)
	}
	audioPath := ""
	if vars.audio != "" && v.r.cfg.Audio {
		audioPath = resolve(dir, vars.audio)
	}
	tracks := 1
	if audioPath != "" {
		tracks = 2
	}
	v.newBuffer(tracks)
	runTrack := func(ctx context.Context, c *conn, idx int, plPath string) error {
		if v.spec.proto == Segments {
			return newSegmentTrack(v, c, idx, plPath).run(ctx)
		}
		return newHLSTrack(v, c, idx, plPath).run(ctx)
	}
	if audioPath == "" {
		return runTrack(ctx, c, 0, videoPath)
	}
	return v.both(ctx, c, func(ctx context.Context) error { return runTrack(ctx, c, 0, videoPath) },
		func(ctx context.Context) error {
			ac := newConn(ctx, c.host, v.r.stats, v.r.dial)
			defer ac.close()
			return runTrack(ctx, ac, 1, audioPath)
		})
}

// both runs the video rendition, on c, here and the audio one on a
// goroutine; when either gives up, it stops the other, and returns the
// first error.
func (v *viewer) both(ctx context.Context, c *conn, video, audio func(context.Context) error) error {
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.bind(ctx)
	defer c.bind(outer)
	done := make(chan error, 1)
	go func() {
		err := audio(ctx)
		cancel()
		done <- err
	}()
	err := video(ctx)
	cancel()
	if aerr := <-done; err == nil {
		err = aerr
	}
	return err
}

// failed counts an error that ends a session.
func (v *viewer) failed(err error) error {
	v.r.stats.fail(err)
	return err
}

// resolve resolves a playlist URI against its directory.
func resolve(dir, uri string) string {
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	if i := strings.Index(uri, "://"); i >= 0 {
		if j := strings.IndexByte(uri[i+3:], '/'); j >= 0 {
			return uri[i+3+j:]
		}
		return "/"
	}
	return dir + uri
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
