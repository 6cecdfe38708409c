package usher

import (
	"bytes"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/placement"
)

// Entry files a viewer asks usher for; every other file is fetched from
// the edge the viewer was sent to.
const (
	fileHLS  = "index.m3u8"
	fileDASH = "manifest.mpd"
)

const (
	livePrefix = "/live/"
	playPrefix = "/api/play/"
)

// handlePublic routes the public port.
func (s *Server) handlePublic(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch {
	case bytes.HasPrefix(path, []byte(livePrefix)):
		s.handleRedirect(ctx)
	case bytes.HasPrefix(path, []byte(playPrefix)):
		s.handlePlay(ctx)
	case string(path) == fleet.PathHeartbeat:
		s.handleHeartbeat(ctx)
	case string(path) == fleet.PathOrigin:
		s.handleOrigin(ctx)
	case string(path) == fleet.PathParent:
		s.handleParent(ctx)
	case string(path) == "/metrics":
		s.metrics(ctx)
	case string(path) == "/healthz":
		s.handleHealth(ctx)
	case s.pages.Serve(ctx):
	default:
		fail(ctx, ErrNotFound)
	}
}

// handleRedirect sends a viewer of /live/{stream}/{index.m3u8|manifest.mpd}
// to the chosen edge with a playback token.
func (s *Server) handleRedirect(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		fail(ctx, ErrMethod)
		return
	}
	rest := ctx.Path()[len(livePrefix):]
	slash := bytes.IndexByte(rest, '/')
	if slash < 0 {
		fail(ctx, ErrNotFound)
		return
	}
	streamB, file := rest[:slash], string(rest[slash+1:])
	if (file != fileHLS && file != fileDASH) || !validName(streamB) {
		fail(ctx, ErrNotFound)
		return
	}
	stream := string(streamB)
	now := time.Now()
	ip := s.clientIP(ctx)
	d, region := s.decide(stream, file, ip, now)
	if d.Reason == placement.ReasonUnknownStream {
		s.st.unknown.Add(1)
		fail(ctx, ErrUnknownStream)
		return
	}
	s.arrivals.add(now.Unix(), stream, region)
	best, ok := d.Best()
	if !ok {
		s.st.overflowed.Add(1)
		if d.OverflowURL == "" {
			fail(ctx, ErrNoCapacity)
			return
		}
		ctx.Response.Header.Set("Location", d.OverflowURL)
		ctx.Response.Header.Set("Cache-Control", "no-store")
		ctx.SetStatusCode(fasthttp.StatusFound)
		return
	}
	tok, _, err := s.tokens.get(stream, now, ip)
	if err != nil {
		fail(ctx, err)
		return
	}
	s.st.redirected.Add(1)
	var buf [512]byte
	loc := appendPlayURL(buf[:0], best.Edge.URL, stream, file, tok)
	ctx.Response.Header.SetBytesV("Location", loc)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetStatusCode(fasthttp.StatusFound)
}

// decide runs placement for one viewer and returns the decision and the
// viewer's region.
func (s *Server) decide(stream, file string, ip netip.Addr, now time.Time) (placement.Decision, string) {
	req := placement.Request{Stream: stream, Path: file, ArrivalDC: s.cfg.DC, ClientIP: ip}
	if ip.IsValid() {
		if s.countries != nil {
			if loc, err := s.countries.Lookup(ip); err == nil {
				req.Country = loc.Country
				req.Region = s.regions.Region(loc)
			}
		}
		if s.isps != nil {
			if isp, ok := s.isps.Lookup(ip); ok {
				req.ASN, req.ISP = isp.ASN, isp.Name
			}
		}
	}
	start := time.Now()
	s.ledgerMu.Lock()
	d := s.ledger.Choose(req)
	s.ledgerMu.Unlock()
	s.decisionTime.Observe(time.Since(start).Seconds())
	return d, req.Region
}

// appendPlayURL appends base/live/stream/file?token=tok. Tokens are
// base64url, so they need no escaping.
func appendPlayURL(dst []byte, base, stream, file, tok string) []byte {
	dst = append(dst, base...)
	dst = append(dst, livePrefix...)
	dst = append(dst, stream...)
	dst = append(dst, '/')
	dst = append(dst, file...)
	dst = append(dst, "?token="...)
	return append(dst, tok...)
}

// playReply is the /api/play answer: the ranked edges for a player that
// fails over by itself.
type playReply struct {
	Stream  string     `json:"stream"`
	Token   string     `json:"token"`
	Expires time.Time  `json:"expires"`
	Edges   []playEdge `json:"edges"`
	// Overflow is set when no edge has room: play from there instead.
	Overflow string `json:"overflow,omitempty"`
}

type playEdge struct {
	ID   string `json:"id"`
	DC   string `json:"dc"`
	HLS  string `json:"hls"`
	DASH string `json:"dash"`
}

// handlePlay answers /api/play/{stream} with the ranked edges and a token.
func (s *Server) handlePlay(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() {
		fail(ctx, ErrMethod)
		return
	}
	streamB := ctx.Path()[len(playPrefix):]
	if !validName(streamB) {
		fail(ctx, ErrNotFound)
		return
	}
	stream := string(streamB)
	now := time.Now()
	ip := s.clientIP(ctx)
	d, region := s.decide(stream, fileHLS, ip, now)
	if d.Reason == placement.ReasonUnknownStream {
		s.st.unknown.Add(1)
		fail(ctx, ErrUnknownStream)
		return
	}
	s.arrivals.add(now.Unix(), stream, region)
	tok, exp, err := s.tokens.get(stream, now, ip)
	if err != nil {
		fail(ctx, err)
		return
	}
	r := playReply{Stream: stream, Token: tok, Expires: exp.UTC().Truncate(time.Second), Edges: []playEdge{}}
	for _, p := range d.Picks() {
		r.Edges = append(r.Edges, playEdge{
			ID:   p.Edge.ID,
			DC:   p.Edge.DC,
			HLS:  string(appendPlayURL(nil, p.Edge.URL, stream, fileHLS, tok)),
			DASH: string(appendPlayURL(nil, p.Edge.URL, stream, fileDASH, tok)),
		})
	}
	if d.Overflow {
		s.st.overflowed.Add(1)
		if d.OverflowURL == "" {
			fail(ctx, ErrNoCapacity)
			return
		}
		r.Overflow = d.OverflowURL
	} else {
		s.st.redirected.Add(1)
	}
	writeJSON(ctx, r)
}

// handleHealth answers 200 while the server can redirect, saying whether
// it does so from fresh data.
func (s *Server) handleHealth(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("text/plain; charset=utf-8")
	if s.st.redisUp.Load() {
		ctx.SetBodyString("ok\n")
		return
	}
	ctx.SetBodyString("ok (redis down: redirecting from the last snapshot)\n")
}

// clientIP returns the viewer's address: the peer, or with TrustProxy the
// last X-Forwarded-For entry, the one the trusted proxy appended.
func (s *Server) clientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	if s.cfg.TrustProxy {
		if xff := ctx.Request.Header.Peek("X-Forwarded-For"); len(xff) > 0 {
			last := xff
			if i := bytes.LastIndexByte(xff, ','); i >= 0 {
				last = xff[i+1:]
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(string(last))); err == nil {
				return a.Unmap()
			}
		}
	}
	if ta, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// validName reports whether a stream name matches ^[A-Za-z0-9_-]{1,64}$,
// the names ingest accepts.
func validName[T string | []byte](name T) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// writeJSON answers v as JSON.
func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if err := json.NewEncoder(ctx).Encode(v); err != nil {
		fail(ctx, err)
	}
}
