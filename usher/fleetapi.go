package usher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/placement"
)

// checkBearer checks "Authorization: Bearer <want>" in constant time.
// An empty want accepts every request.
func checkBearer(ctx *fasthttp.RequestCtx, want string) error {
	if want == "" {
		return nil
	}
	got, ok := bytes.CutPrefix(ctx.Request.Header.Peek("Authorization"), []byte("Bearer "))
	if !ok || len(got) == 0 {
		return ErrUnauthenticated
	}
	a, b := sha256.Sum256(got), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return ErrForbidden
	}
	return nil
}

// fleetCall checks method and fleet token, and decodes a JSON body into v
// when v is not nil.
func (s *Server) fleetCall(ctx *fasthttp.RequestCtx, method string, v any) error {
	if string(ctx.Method()) != method {
		return ErrMethod
	}
	if err := checkBearer(ctx, s.cfg.FleetToken); err != nil {
		return err
	}
	if v != nil {
		if err := json.Unmarshal(ctx.PostBody(), v); err != nil {
			return fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	return nil
}

// handleHeartbeat stores an edge's load and answers whether it should
// drain and which streams it should pull from another parent.
func (s *Server) handleHeartbeat(ctx *fasthttp.RequestCtx) {
	var l fleet.Load
	if err := s.fleetCall(ctx, fasthttp.MethodPost, &l); err != nil {
		s.st.heartbeatErrors.Add(1)
		fail(ctx, err)
		return
	}
	if err := checkLoad(&l); err != nil {
		s.st.heartbeatErrors.Add(1)
		fail(ctx, err)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := writeHeartbeat(rctx, s.rdb, &l, time.Now()); err != nil {
		s.st.heartbeatErrors.Add(1)
		fail(ctx, err)
		return
	}
	s.st.heartbeats.Add(1)
	v := s.view.Load()
	reply := fleet.Reply{Drain: v.drain[l.ID]}
	trees := s.trees.Load()
	for name, sl := range l.Streams {
		t := trees.streams[name]
		if t == nil {
			continue
		}
		if n, ok := t.nodes[l.ID]; ok && n.parentURL != sl.Parent {
			if reply.Parents == nil {
				reply.Parents = make(map[string]string)
			}
			reply.Parents[name] = n.parentURL
		}
	}
	writeJSON(ctx, reply)
}

// checkLoad rejects heartbeats usher cannot place viewers with.
func checkLoad(l *fleet.Load) error {
	switch {
	case l.ID == "" || len(l.ID) > 128 || strings.ContainsAny(l.ID, "\t\n"):
		return fmt.Errorf("%w: bad edge id", ErrBadRequest)
	case !absoluteHTTP(l.URL):
		return fmt.Errorf("%w: edge url must be an absolute http(s) URL", ErrBadRequest)
	case !finite(l.CapacityMbps) || !finite(l.EgressMbps):
		return fmt.Errorf("%w: capacity and egress must be finite and >= 0", ErrBadRequest)
	case l.State != "" && l.State != fleet.StateActive && l.State != fleet.StateDraining:
		return fmt.Errorf("%w: unknown state %q", ErrBadRequest, l.State)
	}
	for name, sl := range l.Streams {
		if !validName(name) || sl.Viewers < 0 || strings.ContainsAny(sl.Parent, "\t\n") {
			return fmt.Errorf("%w: bad stream entry", ErrBadRequest)
		}
	}
	return nil
}

// handleOrigin stores an origin's list of streams.
func (s *Server) handleOrigin(ctx *fasthttp.RequestCtx) {
	var rep fleet.OriginReport
	if err := s.fleetCall(ctx, fasthttp.MethodPost, &rep); err != nil {
		fail(ctx, err)
		return
	}
	if !absoluteHTTP(rep.URL) {
		fail(ctx, fmt.Errorf("%w: origin url must be an absolute http(s) URL", ErrBadRequest))
		return
	}
	for _, st := range rep.Streams {
		if !validName(st.Name) || !(st.BitrateMbps >= 0) {
			fail(ctx, fmt.Errorf("%w: bad stream entry", ErrBadRequest))
			return
		}
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := writeOrigin(rctx, s.rdb, &rep, time.Now()); err != nil {
		fail(ctx, err)
		return
	}
	s.st.originReports.Add(1)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

// handleParent tells an edge whom to pull a stream from: its planned
// parent, or for an edge the plan does not hold yet (it was just sent its
// first viewer) the shallowest tree member with a free slot, preferring its
// own datacenter, else the origin. Answers come from memory, so edges can
// start streams while Redis is away.
func (s *Server) handleParent(ctx *fasthttp.RequestCtx) {
	if err := s.fleetCall(ctx, fasthttp.MethodGet, nil); err != nil {
		fail(ctx, err)
		return
	}
	args := ctx.QueryArgs()
	stream, edge := string(args.Peek("stream")), string(args.Peek("edge"))
	if !validName(stream) || edge == "" {
		fail(ctx, fmt.Errorf("%w: want stream and edge", ErrBadRequest))
		return
	}
	v := s.view.Load()
	origin, _, ok := v.snap.Stream(stream)
	if !ok {
		fail(ctx, ErrUnknownStream)
		return
	}
	s.st.parentQueries.Add(1)
	reply := fleet.ParentReply{Stream: stream, Edge: edge, Parent: origin.URL}
	t := s.trees.Load().streams[stream]
	if t == nil {
		writeJSON(ctx, reply)
		return
	}
	if n, ok := t.nodes[edge]; ok {
		reply.Parent, reply.ParentID = n.parentURL, n.parentID
		writeJSON(ctx, reply)
		return
	}
	var dc string
	if e, ok := v.snap.Edge(edge); ok {
		dc = e.DC
	}
	fanOut := v.snap.Dials().FanOut
	best, bestSame := "", false
	for _, id := range t.order {
		e, ok := v.snap.Edge(id)
		if !ok || e.State != placement.EdgeActive || t.children(id) >= fanOut {
			continue
		}
		same := dc != "" && e.DC == dc
		if best == "" || same && !bestSame {
			best, bestSame = id, same
		}
		if bestSame {
			break
		}
	}
	if best != "" {
		e, _ := v.snap.Edge(best)
		reply.Parent, reply.ParentID = e.URL, e.ID
	}
	writeJSON(ctx, reply)
}

// absoluteHTTP reports whether s is an absolute http(s) URL with a host.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, "\t\n")
}
