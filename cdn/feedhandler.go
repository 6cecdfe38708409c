package cdn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/feed"
	"github.com/livetree/livetree/packager/window"
)

// FeedPath prefixes the feed endpoint: GET /feed/{stream}?from={msn}.
const FeedPath = "/feed/"

// feedContentType marks a feed response.
const feedContentType = "application/vnd.livetree.feed"

// hopHeader names the server that answered, on every response.
const hopHeader = "X-Livetree-Hop"

// FeedOptions tune FeedHandler.
type FeedOptions struct {
	// Context ends every feed being written when it is done, so a server
	// can shut down; context.Background() when nil.
	Context context.Context
	// Hop is sent in X-Livetree-Hop.
	Hop string
	// Heartbeat is the longest silence on a feed; feed.DefaultHeartbeat
	// when zero.
	Heartbeat time.Duration
	// WriteTimeout drops a child that takes longer to accept one write.
	// Default 5 s.
	WriteTimeout time.Duration
	// Acquire, if set, finds the stream instead of looking it up in the
	// streams: an edge pulls it first.
	Acquire func(ctx context.Context, name string) (Lease, error)
	// Stats, if set, counts the feeds served.
	Stats *FeedStats
}

// Lease is a stream lent to one feed by FeedOptions.Acquire.
type Lease struct {
	Stream *window.Stream
	// Context, if set, ends the feed when done: the stream was dropped, or
	// its window replaced by a new one.
	Context context.Context
	// Release, if set, is called when the feed ends.
	Release func()
}

// FeedStats counts the feeds a server writes to its children.
type FeedStats struct {
	// Open is the number of feeds being written now.
	Open atomic.Int64
	// Served counts feeds started.
	Served atomic.Uint64
	// BytesOut counts feed bytes handed to connections.
	BytesOut atomic.Uint64
}

// FeedHandler serves GET /feed/{stream}?from={msn}: the stream's window as
// a feed (package packager/feed), followed live until the stream ends or
// the child hangs up. The origin mounts it over the packager's windows;
// an edge mounts it with Acquire, so that a child's request pulls the
// stream as a viewer's would.
func FeedHandler(streams *window.Streams, opts FeedOptions) fasthttp.RequestHandler {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.Stats == nil {
		opts.Stats = &FeedStats{}
	}
	return func(ctx *fasthttp.RequestCtx) {
		if opts.Hop != "" {
			ctx.Response.Header.Set(hopHeader, opts.Hop)
		}
		if !ctx.IsGet() {
			ctx.Response.Header.Set("Allow", "GET")
			ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
			return
		}
		name, from, err := parseFeedRequest(ctx)
		if err != nil {
			ctx.Error(err.Error(), statusOf(err))
			return
		}
		lease := Lease{Stream: streams.Get(name)}
		if opts.Acquire != nil {
			lease, err = opts.Acquire(ctx, name)
		} else if lease.Stream == nil {
			err = ErrNotFound
		}
		if err != nil {
			ctx.Response.Header.Set("Retry-After", "1")
			ctx.Error(err.Error(), statusOf(err))
			return
		}
		ctx.SetContentType(feedContentType)
		ctx.Response.Header.Set("Cache-Control", "no-store")
		opts.Stats.Served.Add(1)
		ctx.SetBodyStream(&feedBody{opts: &opts, lease: lease, from: from, conn: ctx.Conn()}, -1)
	}
}

// feedBody is a feed response. fasthttp calls WriteTo with a writer that
// sends each write as one flushed HTTP chunk, in the connection's own
// goroutine, and Close when it is done with the body, written or not.
type feedBody struct {
	opts  *FeedOptions
	lease Lease
	from  feed.Position
	conn  net.Conn

	released atomic.Bool
}

// SupportsBodyWriteTo lets fasthttp call WriteTo instead of Read.
func (b *feedBody) SupportsBodyWriteTo() bool { return true }

// WriteTo writes the feed until the stream ends, the child hangs up, or
// the server or the lease closes.
func (b *feedBody) WriteTo(w io.Writer) (int64, error) {
	stats := b.opts.Stats
	stats.Open.Add(1)
	defer stats.Open.Add(-1)
	run, cancel := context.WithCancel(b.opts.Context)
	defer cancel()
	if b.lease.Context != nil {
		stop := context.AfterFunc(b.lease.Context, cancel)
		defer stop()
	}
	dw := &deadlineWriter{w: w, conn: b.conn, timeout: b.opts.WriteTimeout, count: &stats.BytesOut}
	fw := feed.NewWriter(dw, b.lease.Stream, feed.WriterOptions{From: b.from, Heartbeat: b.opts.Heartbeat})
	err := fw.Run(run)
	if err != nil && run.Err() != nil {
		// The server or the lease closed: end the response cleanly, and the
		// child, missing the End frame, moves to another parent.
		err = nil
	}
	return dw.n, err
}

// Read is never used: fasthttp writes chunked bodies with WriteTo.
func (b *feedBody) Read([]byte) (int, error) { return 0, errFeedRead }

var errFeedRead = errors.New("cdn: a feed body is only written with WriteTo")

// Close releases the lease, once.
func (b *feedBody) Close() error {
	if b.released.CompareAndSwap(false, true) && b.lease.Release != nil {
		b.lease.Release()
	}
	return nil
}

// parseFeedRequest reads the stream name and resume position of a feed
// request.
func parseFeedRequest(ctx *fasthttp.RequestCtx) (string, feed.Position, error) {
	var pos feed.Position
	name, ok := bytes.CutPrefix(ctx.Path(), []byte(FeedPath))
	if !ok || !validStreamName(name) {
		return "", pos, ErrBadStreamName
	}
	if v := ctx.QueryArgs().Peek("from"); len(v) > 0 {
		msn, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return "", pos, fmt.Errorf("%w: from: %w", ErrBadRequest, err)
		}
		pos = feed.Position{MSN: msn, Valid: true}
	}
	return string(name), pos, nil
}

// validStreamName reports whether name matches ^[A-Za-z0-9_-]{1,64}$, the
// rule the delivery handler applies too.
func validStreamName(name []byte) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// deadlineWriter gives every write to a child its own deadline, so a feed
// that lasts hours is not cut by the server's whole-response timeout while
// a child that stops reading is.
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
	count   *atomic.Uint64
	n       int64
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.conn != nil {
		_ = d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	}
	n, err := d.w.Write(p)
	d.n += int64(n)
	d.count.Add(uint64(n))
	return n, err
}
