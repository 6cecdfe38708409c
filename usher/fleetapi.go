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
// first viewer) placement's parent rule through the ledger, which answers
// the parent it charged that first viewer's feed to, or else picks a tree
// member with room for the feed (its own datacenter first, then the
// shallowest) or the origin, and charges the feed so no other decision
// counts on that room. Answers come from memory, so edges can start
// streams while Redis is away.
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
	s.ledgerMu.Lock()
	reply, err := s.parentOf(stream, edge)
	s.ledgerMu.Unlock()
	if err != nil {
		fail(ctx, err)
		return
	}
	s.st.parentQueries.Add(1)
	writeJSON(ctx, reply)
}

// parentOf answers handleParent; the caller holds s.ledgerMu.
func (s *Server) parentOf(stream, edge string) (fleet.ParentReply, error) {
	reply := fleet.ParentReply{Stream: stream, Edge: edge}
	origin, _, ok := s.ledger.Snapshot().Stream(stream)
	if !ok {
		return reply, ErrUnknownStream
	}
	if t := s.trees.Load().streams[stream]; t != nil {
		if n, ok := t.nodes[edge]; ok {
			reply.Parent, reply.ParentID = n.parentURL, n.parentID
			return reply, nil
		}
	}
	// An edge usher has not heard from yet cannot have been sent viewers
	// by this instance; it pulls from the origin.
	reply.Parent = origin.URL
	if up, err := s.ledger.Upstream(stream, edge); err == nil {
		reply.Parent, reply.ParentID = up.URL, up.ParentID
	}
	return reply, nil
}

// absoluteHTTP reports whether s is an absolute http(s) URL with a host.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, "\t\n")
}
