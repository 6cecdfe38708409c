package cdn

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"
)

const livePrefix = "/live/"

// serveHTTP routes a request: viewers' /live/ paths through the pull, the
// feed, metrics, health and admin; /time and the rest to the delivery
// handler, which answers 404 for what it does not know.
func (e *Edge) serveHTTP(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch {
	case bytes.HasPrefix(path, []byte(livePrefix)):
		e.serveLive(ctx, path[len(livePrefix):])
	case bytes.HasPrefix(path, []byte(FeedPath)):
		if err := e.access.CheckChild(ctx); err != nil {
			e.fail(ctx, err)
			return
		}
		e.feed(ctx)
	case string(path) == "/metrics":
		e.metrics(ctx)
	case string(path) == "/healthz":
		e.serveHealth(ctx)
	case string(path) == "/admin/drain":
		e.serveDrain(ctx)
	default:
		e.delivery.Serve(ctx)
	}
}

// serveLive makes sure the stream is pulled, then lets the delivery
// handler answer from RAM.
func (e *Edge) serveLive(ctx *fasthttp.RequestCtx, rest []byte) {
	name, file, _ := bytes.Cut(rest, []byte{'/'})
	if !validStreamName(name) {
		e.delivery.Serve(ctx) // it answers bad names and paths
		return
	}
	client := remoteAddr(ctx)
	now := time.Now()
	if err := e.access.CheckViewer(ctx, name, client, now); err != nil {
		e.fail(ctx, err)
		return
	}
	if e.refusing() && !e.admitWhileDraining(ctx, name, file, client, now) {
		e.stats.DrainRejected.Add(1)
		e.fail(ctx, ErrDraining)
		return
	}
	if _, err := e.acquire(ctx, name); err != nil {
		e.fail(ctx, err)
		return
	}
	e.viewers.saw(name, client, now)
	e.delivery.Serve(ctx)
}

// admitWhileDraining tells whether a request may go on while the edge
// drains: objects always may, so sessions under way finish; a multivariant
// playlist, which only a player starting out asks for, never may; and other
// playlists only for a client already watching the stream.
func (e *Edge) admitWhileDraining(ctx *fasthttp.RequestCtx, name, file []byte, client netip.Addr, now time.Time) bool {
	switch {
	case string(file) == "index.m3u8":
		return false
	case bytes.HasSuffix(file, []byte(".m3u8")), string(file) == "manifest.mpd":
		return e.viewers.active(name, client, now.Add(-e.cfg.ViewerWindow))
	}
	return true
}

// remoteAddr returns the client's IP address, the unit viewers are counted in.
func remoteAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// serveHealth answers 200 while the edge takes viewers and 503 while it
// drains, by itself or at usher's request, so a load balancer stops
// sending new ones.
func (e *Edge) serveHealth(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set(hopHeader, e.cfg.ID)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if e.refusing() {
		ctx.Error("draining", fasthttp.StatusServiceUnavailable)
		return
	}
	ctx.SetBodyString("ok\n")
}

// serveDrain starts a drain on POST /admin/drain with the admin token.
func (e *Edge) serveDrain(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", "POST")
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
		return
	}
	if !e.authorised(ctx.Request.Header.Peek("Authorization")) {
		e.fail(ctx, ErrUnauthorized)
		return
	}
	e.Drain()
	ctx.Response.Header.Set(hopHeader, e.cfg.ID)
	ctx.SetStatusCode(fasthttp.StatusAccepted)
	ctx.SetBodyString("draining\n")
}

func (e *Edge) authorised(h []byte) bool {
	token, ok := bytes.CutPrefix(h, []byte("Bearer "))
	if e.cfg.AdminToken == "" || !ok {
		return false
	}
	return subtle.ConstantTimeCompare(token, []byte(e.cfg.AdminToken)) == 1
}

// fail answers a request with the status its error maps to, and logs it;
// the edge's one place for either.
func (e *Edge) fail(ctx *fasthttp.RequestCtx, err error) {
	status := statusOf(err)
	ev := e.log.Debug()
	if status == fasthttp.StatusInternalServerError {
		ev = e.log.Error()
	}
	ev.Err(err).Int("status", status).Bytes("path", truncate(ctx.Path())).Msg("request failed")
	writeError(ctx, err, e.cfg.ID)
}

// writeError answers a request with the status err maps to. Refusals say
// why in the body, so that a player's log tells an expired token from a
// missing one.
func writeError(ctx *fasthttp.RequestCtx, err error, hop string) {
	status := statusOf(err)
	hdr := &ctx.Response.Header
	if hop != "" {
		hdr.Set(hopHeader, hop)
	}
	hdr.Set("Cache-Control", "no-store")
	switch status {
	case fasthttp.StatusServiceUnavailable:
		hdr.Set("Retry-After", "1")
	case fasthttp.StatusUnauthorized:
		hdr.Set("WWW-Authenticate", `Bearer realm="livetree"`)
	}
	if errors.Is(err, ErrDraining) {
		// A player that retries should reconnect elsewhere.
		ctx.SetConnectionClose()
	}
	if status == fasthttp.StatusUnauthorized || status == fasthttp.StatusForbidden {
		ctx.Error(refusal(err), status)
		return
	}
	ctx.Error(fasthttp.StatusMessage(status), status)
}

// truncate bounds what a log line quotes of a client's bytes.
func truncate(b []byte) []byte {
	if len(b) > 96 {
		return b[:96]
	}
	return b
}
