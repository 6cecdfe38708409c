package play

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/livetree/livetree/bench/arrival"
)

// Connection settings.
const (
	// maxPlaylistBody bounds a body the client keeps: a playlist, manifest
	// or init segment.
	maxPlaylistBody = 4 << 20
	dialTimeout     = 5 * time.Second
	userAgent       = "livetree-bench"
)

// errBodyTooBig reports a kept body over maxPlaylistBody.
var errBodyTooBig = fmt.Errorf("%w: body over %d bytes", ErrBadPlaylist, maxPlaylistBody)

// wire carries one connection's bytes: a socket read by its own goroutine
// (netWire) or by the run's event loops (loopWire, on Linux).
type wire interface {
	// write sends p whole.
	write(p []byte) error
	// read hands the connection's bytes to feed, in order, until feed
	// reports the response done or fails, or the deadline passes. What
	// feed leaves over belongs to the next response and goes to the next
	// read's feed first. feed may run on another goroutine, while read
	// waits.
	read(deadline time.Time, feed feedFunc) error
	close()
}

// feedFunc takes bytes as they arrive and returns those past the end of
// the response, once done.
type feedFunc func(p []byte) (rest []byte, done bool, err error)

// dialFunc opens a wire to host (host:port); ctx bounds the dial.
type dialFunc func(ctx context.Context, host string) (wire, error)

// conn is one viewer's keep-alive HTTP/1.1 connection to one host, used
// by one goroutine at a time. Requests are queued with get and sent
// together by flush, so several can be in flight (pipelined); responses
// are read in order, framed as their bytes arrive.
type conn struct {
	ctx  context.Context // closes the wire when done, ending any read
	host string          // host:port, also the Host header
	st   *Stats
	dial dialFunc

	w        wire
	stop     func() bool // undoes the close-on-done hook of w
	wbuf     []byte      // requests queued, not yet sent
	inflight int         // requests sent whose response is not read

	resp     arrival.Response
	feed     feedFunc // c.take, bound once
	sink     io.Writer
	streamed bool   // the body goes to sink (a 200's) or nowhere, not into kept
	kept     []byte // the body of a response read with read
}

func newConn(ctx context.Context, host string, st *Stats, dial dialFunc) *conn {
	c := &conn{ctx: ctx, host: host, st: st, dial: dial}
	c.feed = c.take
	c.resp.Body = c.body
	return c
}

// get queues a GET of path (with its query).
func (c *conn) get(path []byte) {
	c.wbuf = append(c.wbuf, "GET "...)
	c.wbuf = append(c.wbuf, path...)
	c.wbuf = append(c.wbuf, " HTTP/1.1\r\nHost: "...)
	c.wbuf = append(c.wbuf, c.host...)
	c.wbuf = append(c.wbuf, "\r\nUser-Agent: "+userAgent+"\r\n\r\n"...)
	c.inflight++
}

// flush dials if needed and sends the queued requests.
func (c *conn) flush() error {
	if c.w == nil {
		w, err := c.dial(c.ctx, c.host)
		if err != nil {
			c.wbuf, c.inflight = c.wbuf[:0], 0
			return err
		}
		c.st.dials.Add(1)
		c.w = w
		c.stop = context.AfterFunc(c.ctx, w.close)
	}
	err := c.w.write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	if err != nil {
		c.close()
		return err
	}
	return nil
}

// bind makes ctx the context whose end closes the connection, now and
// for later dials, so a session that ends stops a read blocked on it.
func (c *conn) bind(ctx context.Context) {
	c.ctx = ctx
	if c.w != nil {
		c.stop()
		c.stop = context.AfterFunc(ctx, c.w.close)
	}
}

// closed reports whether the connection is down (and will be dialled
// again by the next flush).
func (c *conn) closed() bool { return c.w == nil }

// close drops the connection; queued and in-flight requests are lost.
func (c *conn) close() {
	if c.w != nil {
		c.stop()
		c.w.close()
		c.w = nil
	}
	c.wbuf, c.inflight = c.wbuf[:0], 0
}

// read reads the next response whole by deadline, its body kept for
// kept, and returns when its first byte came.
func (c *conn) read(deadline time.Time) (time.Time, error) {
	c.kept = c.kept[:0]
	return c.next(deadline, nil, false)
}

// stream reads the next response by deadline; the body of a 200 goes to
// w as it arrives, any other body is dropped. It returns when the first
// byte came.
func (c *conn) stream(deadline time.Time, w io.Writer) (time.Time, error) {
	return c.next(deadline, w, true)
}

func (c *conn) next(deadline time.Time, w io.Writer, stream bool) (time.Time, error) {
	if c.w == nil || c.inflight == 0 {
		return time.Time{}, errors.New("play: no request in flight")
	}
	c.inflight--
	c.resp.Reset()
	c.sink, c.streamed = w, stream
	err := c.w.read(deadline, c.feed)
	c.sink = nil
	first := c.resp.First.Read
	switch {
	case err == nil && c.resp.Close:
		c.close()
	case errors.Is(err, io.EOF) && !first.IsZero():
		c.close()
		return first, fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF)
	case err != nil:
		c.close()
	}
	return first, err
}

// take frames the response's bytes.
func (c *conn) take(p []byte) ([]byte, bool, error) {
	done, rest, err := c.resp.Feed(p, arrival.Stamp{Read: time.Now()})
	return rest, done, err
}

// body takes the response's body bytes, unframed.
func (c *conn) body(p []byte) error {
	c.st.bytes.Add(int64(len(p)))
	switch {
	case !c.streamed:
		if len(c.kept)+len(p) > maxPlaylistBody {
			return errBodyTooBig
		}
		c.kept = append(c.kept, p...)
	case c.sink != nil && c.resp.Status == 200:
		_, err := c.sink.Write(p)
		return err
	}
	return nil
}

// status returns the last response's status code.
func (c *conn) status() int { return c.resp.Status }

// header returns a header field of the last response; valid until the next.
func (c *conn) header(name string) []byte { return c.resp.Field(name) }

// bodyBytes returns the body of the last response read with read; valid
// until the next.
func (c *conn) bodyBytes() []byte { return c.kept }
