package play

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Connection settings.
const (
	readBufferSize = 16 << 10
	// scratchSize is the buffer media bodies are read into: big enough that
	// bufio hands most reads straight to the socket.
	scratchSize = 32 << 10
	// maxPlaylistBody bounds a playlist or manifest body.
	maxPlaylistBody = 4 << 20
	dialTimeout     = 5 * time.Second
	userAgent       = "livetree-bench"
)

var scratchPool = sync.Pool{New: func() any { b := make([]byte, scratchSize); return &b }}

// conn is one viewer's keep-alive HTTP/1.1 connection to one host, owned
// by one goroutine. Requests are queued with get and sent together by
// flush, so several can be in flight (pipelined); responses are read in
// order. fasthttp parses them into the conn's reused Response.
type conn struct {
	ctx  context.Context // closes the socket when done, ending any read
	host string          // host:port, also the Host header
	st   *Stats

	nc       net.Conn
	stop     func() bool // undoes the close-on-done hook of nc
	br       *bufio.Reader
	wbuf     []byte // requests queued, not yet sent
	inflight int    // requests sent whose response is not read
	resp     fasthttp.Response
}

func newConn(ctx context.Context, host string, st *Stats) *conn {
	return &conn{ctx: ctx, host: host, st: st}
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
	if c.nc == nil {
		if err := c.dial(); err != nil {
			c.wbuf, c.inflight = c.wbuf[:0], 0
			return err
		}
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(dialTimeout))
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	if err != nil {
		c.close()
		return err
	}
	return nil
}

func (c *conn) dial() error {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(c.ctx, "tcp", c.host)
	if err != nil {
		return err
	}
	c.st.dials.Add(1)
	c.nc = nc
	c.stop = context.AfterFunc(c.ctx, func() { nc.Close() })
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, readBufferSize)
	} else {
		c.br.Reset(nc)
	}
	return nil
}

// bind makes ctx the context whose end closes the connection, now and
// for later dials, so a session that ends stops a read blocked on it.
func (c *conn) bind(ctx context.Context) {
	c.ctx = ctx
	if c.nc != nil {
		c.stop()
		nc := c.nc
		c.stop = context.AfterFunc(ctx, func() { nc.Close() })
	}
}

// close drops the connection; queued and in-flight requests are lost.
func (c *conn) close() {
	if c.nc != nil {
		c.stop()
		c.nc.Close()
		c.nc = nil
	}
	c.wbuf, c.inflight = c.wbuf[:0], 0
}

// head reads the next response's status line and headers by deadline,
// and returns when its first byte came. With stream set the body is left
// to body; otherwise it is read whole into c.resp.
func (c *conn) head(deadline time.Time, stream bool) (time.Time, error) {
	if c.nc == nil || c.inflight == 0 {
		return time.Time{}, errors.New("play: no request in flight")
	}
	c.inflight--
	_ = c.nc.SetReadDeadline(deadline)
	if _, err := c.br.Peek(1); err != nil {
		c.close()
		return time.Time{}, err
	}
	first := time.Now()
	c.resp.StreamBody = stream
	if err := c.resp.ReadLimitBody(c.br, maxPlaylistBody); err != nil {
		c.close()
		return first, err
	}
	if !stream {
		c.st.bytes.Add(int64(len(c.resp.Body())))
		if c.resp.ConnectionClose() {
			c.close()
		}
	}
	return first, nil
}

// body reads a streamed body to its end into w (nil to discard) and
// makes the connection ready for the next response.
func (c *conn) body(w io.Writer) (int64, error) {
	r := c.resp.BodyStream()
	if r == nil {
		return 0, nil
	}
	bp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(bp)
	buf := *bp
	var n int64
	var err error
	for {
		var m int
		m, err = r.Read(buf)
		if m > 0 {
			n += int64(m)
			c.st.bytes.Add(int64(m))
			if w != nil {
				if _, werr := w.Write(buf[:m]); werr != nil {
					err = werr
					break
				}
			}
		}
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	closeErr := c.resp.CloseBodyStream()
	if err != nil || closeErr != nil || c.resp.ConnectionClose() {
		c.close()
	}
	if err == nil && closeErr != nil {
		err = fmt.Errorf("%w: %w", ErrTruncated, closeErr)
	}
	return n, err
}

// status returns the last response's status code.
func (c *conn) status() int { return c.resp.StatusCode() }

// header returns a header of the last response; valid until the next.
func (c *conn) header(name string) []byte { return c.resp.Header.Peek(name) }
