package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
)

// servePush handles PUT or POST /ingest/{stream}?key={key}: a chunked body
// of MPEG-TS or fragmented MP4, read as it arrives. The response comes when
// the body ends or the publisher is dropped.
func (s *Server) servePush(ctx *fasthttp.RequestCtx) {
	log := s.log.With().Str("proto", "http").Str("remote", ctx.RemoteAddr().String()).Logger()
	err := s.push(ctx, &log)
	switch {
	case s.runCtx.Err() != nil && err != nil:
		err = ErrShutdown
	case err == nil:
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
	}
	s.finish(log, err)
	if err != nil {
		ctx.Response.Reset()
		ctx.SetStatusCode(httpStatus(err))
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString(redact(err) + "\n")
		// The rest of a refused body is not worth draining.
		ctx.SetConnectionClose()
	}
}

// push admits the publisher and demuxes its body; log gains the stream's
// fields once they are known.
func (s *Server) push(ctx *fasthttp.RequestCtx, log *zerolog.Logger) error {
	if !ctx.IsPut() && !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", "PUT, POST")
		return fmt.Errorf("%w: use PUT or POST", ErrMethod)
	}
	name, err := parsePushPath(string(ctx.URI().PathOriginal()))
	if err != nil {
		return err
	}
	key := string(ctx.QueryArgs().Peek("key"))
	*log = log.With().Str("stream", name).Bool("key_present", key != "").Logger()
	l, err := s.admit(s.runCtx, name, key)
	if err != nil {
		return err
	}
	defer s.leave(l)

	if n := ctx.Request.Header.ContentLength(); n > 0 && int64(n) > s.cfg.MaxPushBytes {
		return fmt.Errorf("%w: push body of %d bytes exceeds %d", ErrTooLarge, n, s.cfg.MaxPushBytes)
	}
	// A shutdown closes the connection, which ends the body read the
	// handler is blocked in.
	conn := ctx.Conn()
	stop := context.AfterFunc(s.runCtx, func() { conn.Close() })
	defer stop()

	body := &pushBody{
		ctx: ctx, r: ctx.RequestBodyStream(), timeout: s.cfg.ReadTimeout, limit: s.cfg.MaxPushBytes,
	}
	br := bufio.NewReaderSize(body, 64<<10)
	p, err := sniff(br, string(ctx.Request.Header.ContentType()))
	if err != nil {
		return err
	}
	body.count(&s.stats.BytesIn[p])
	*log = log.With().Str("format", p.String()).Logger()
	snk := newSink(l.stream, p, &s.stats, *log)
	defer snk.close()
	s.stats.Publishes[p].Add(1)
	log.Info().Msg("publishing")
	if p == protoTS {
		return demuxTS(br, snk)
	}
	return demuxFMP4(br, snk, s.cfg.MaxBoxBytes)
}

// sniff tells MPEG-TS from fragmented MP4 by the first bytes, falling back
// on the Content-Type when they are inconclusive.
func sniff(br *bufio.Reader, contentType string) (proto, error) {
	head, err := br.Peek(8)
	if len(head) == 0 && err != nil {
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: empty body", ErrBadMedia)
		}
		return 0, err
	}
	if head[0] == tsSyncByte {
		return protoTS, nil
	}
	if len(head) == 8 {
		switch string(head[4:8]) {
		case "ftyp", "styp", "moov", "moof", "free", "skip", "sidx", "prft", "emsg":
			return protoFMP4, nil
		}
	}
	switch mediaType(contentType) {
	case "video/mp2t", "video/mpeg", "video/mp2ts":
		return protoTS, nil
	case "video/mp4", "audio/mp4", "application/mp4", "video/iso.segment":
		return protoFMP4, nil
	}
	return 0, fmt.Errorf("%w: body is neither MPEG-TS nor fragmented MP4", ErrUnsupportedFormat)
}

// mediaType strips parameters from a Content-Type.
func mediaType(ct string) string {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' || ct[i] == ' ' {
			return ct[:i]
		}
	}
	return ct
}

// pushBody reads a streamed request body with a deadline refreshed on every
// read and a cap on its total size.
type pushBody struct {
	ctx     *fasthttp.RequestCtx
	r       io.Reader
	timeout time.Duration
	limit   int64
	n       int64
	counter *atomic.Uint64
}

// count starts counting into c, including the bytes already read.
func (b *pushBody) count(c *atomic.Uint64) {
	b.counter = c
	c.Add(uint64(b.n))
}

func (b *pushBody) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		// Whether the body ends right at the cap decides between EOF and
		// an error.
		p = p[:min(len(p), 1)]
	} else if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	if err := b.ctx.SetReadDeadline(time.Now().Add(b.timeout)); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	if b.n >= b.limit && n > 0 {
		return 0, fmt.Errorf("%w: push body exceeds %d bytes", ErrTooLarge, b.limit)
	}
	b.n += int64(n)
	if b.counter != nil {
		b.counter.Add(uint64(n))
	}
	if err != nil && isTimeout(err) {
		err = fmt.Errorf("%w: no data for %v", ErrTimeout, b.timeout)
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
