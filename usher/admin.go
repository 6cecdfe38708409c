package usher

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/usher/fleet"
)

// Admin API, on the admin listener, with "Authorization: Bearer <admin
// token>":
//
//	GET    /admin/edges                 edges in the snapshot
//	GET    /admin/streams               streams with origin, demand, tree size
//	GET    /admin/streams/{stream}/tree the stream's planned tree
//	POST   /admin/edges/{id}/drain      drain an edge
//	DELETE /admin/edges/{id}/drain      stop draining it
//	GET    /admin/dials                 dials in force
//	PUT    /admin/dials                 replace the dials hash (JSON object of field → string)
//	PUT    /admin/keys/{stream}         set a stream key (body: the key)
//	DELETE /admin/keys/{stream}         remove a stream key
const adminPrefix = "/admin/"

// handleAdmin authenticates and routes the admin port.
func (s *Server) handleAdmin(ctx *fasthttp.RequestCtx) {
	if err := checkBearer(ctx, s.cfg.AdminToken); err != nil {
		fail(ctx, err)
		return
	}
	path, ok := strings.CutPrefix(string(ctx.Path()), adminPrefix)
	if !ok {
		fail(ctx, ErrNotFound)
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	method := string(ctx.Method())
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var err error
	switch {
	case len(parts) == 1 && parts[0] == "edges" && method == fasthttp.MethodGet:
		s.adminEdges(ctx)
	case len(parts) == 1 && parts[0] == "streams" && method == fasthttp.MethodGet:
		s.adminStreams(ctx)
	case len(parts) == 3 && parts[0] == "streams" && parts[2] == "tree" && method == fasthttp.MethodGet:
		err = s.adminTree(ctx, parts[1])
	case len(parts) == 3 && parts[0] == "edges" && parts[2] == "drain":
		err = s.adminDrain(rctx, ctx, parts[1], method)
	case len(parts) == 1 && parts[0] == "dials":
		err = s.adminDials(rctx, ctx, method)
	case len(parts) == 2 && parts[0] == "keys":
		err = s.adminKey(rctx, ctx, parts[1], method)
	default:
		err = ErrNotFound
	}
	if err != nil {
		fail(ctx, err)
	}
}

type adminEdge struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	DC           string    `json:"dc"`
	CapacityMbps float64   `json:"capacity_mbps"`
	EgressMbps   float64   `json:"egress_mbps"`
	State        string    `json:"state"`
	Drain        bool      `json:"drain"`
	Streams      int       `json:"streams"`
	LastSeen     time.Time `json:"last_seen"`
}

func (s *Server) adminEdges(ctx *fasthttp.RequestCtx) {
	v := s.view.Load()
	out := []adminEdge{}
	for _, e := range v.snap.Edges() {
		out = append(out, adminEdge{
			ID: e.ID, URL: e.URL, DC: e.DC,
			CapacityMbps: e.CapacityMbps, EgressMbps: e.EgressMbps,
			State: e.State.String(), Drain: v.drain[e.ID], Streams: len(e.Streams), LastSeen: e.LastSeen,
		})
	}
	writeJSON(ctx, out)
}

type adminStream struct {
	Name        string  `json:"name"`
	Origin      string  `json:"origin"`
	BitrateMbps float64 `json:"bitrate_mbps"`
	Viewers     int     `json:"recent_arrivals"`
	Velocity    float64 `json:"velocity"`
	TreeEdges   int     `json:"tree_edges"`
}

func (s *Server) adminStreams(ctx *fasthttp.RequestCtx) {
	v, ts := s.view.Load(), s.trees.Load()
	out := []adminStream{}
	for _, name := range v.snap.Streams() {
		o, d, _ := v.snap.Stream(name)
		n := 0
		if t := ts.streams[name]; t != nil {
			n = len(t.nodes)
		}
		out = append(out, adminStream{Name: name, Origin: o.URL, BitrateMbps: o.BitrateMbps, Viewers: d.Viewers, Velocity: d.Velocity, TreeEdges: n})
	}
	writeJSON(ctx, out)
}

type adminNode struct {
	Edge      string `json:"edge"`
	URL       string `json:"url,omitempty"`
	DC        string `json:"dc,omitempty"`
	Parent    string `json:"parent_id,omitempty"`
	ParentURL string `json:"parent_url"`
	Depth     int    `json:"depth"`
}

func (s *Server) adminTree(ctx *fasthttp.RequestCtx, stream string) error {
	v := s.view.Load()
	o, _, ok := v.snap.Stream(stream)
	if !ok {
		return ErrUnknownStream
	}
	out := struct {
		Stream string      `json:"stream"`
		Origin string      `json:"origin"`
		Nodes  []adminNode `json:"nodes"`
	}{Stream: stream, Origin: o.URL, Nodes: []adminNode{}}
	if t := s.trees.Load().streams[stream]; t != nil {
		for _, id := range t.order {
			n := t.nodes[id]
			an := adminNode{Edge: id, Parent: n.parentID, ParentURL: n.parentURL, Depth: n.depth}
			if e, ok := v.snap.Edge(id); ok {
				an.URL, an.DC = e.URL, e.DC
			}
			out.Nodes = append(out.Nodes, an)
		}
	}
	writeJSON(ctx, out)
	return nil
}

func (s *Server) adminDrain(rctx context.Context, ctx *fasthttp.RequestCtx, id, method string) error {
	var err error
	switch method {
	case fasthttp.MethodPost, fasthttp.MethodPut:
		err = s.rdb.HSet(rctx, keyDrain, id, "1").Err()
	case fasthttp.MethodDelete:
		err = s.rdb.HDel(rctx, keyDrain, id).Err()
	default:
		return ErrMethod
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRedis, err)
	}
	s.log.Info().Str("edge", id).Bool("drain", method != fasthttp.MethodDelete).Msg("edge drain changed by admin")
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}

func (s *Server) adminDials(rctx context.Context, ctx *fasthttp.RequestCtx, method string) error {
	switch method {
	case fasthttp.MethodGet:
		writeJSON(ctx, dialsHash(s.view.Load().snap.Dials()))
		return nil
	case fasthttp.MethodPut:
	default:
		return ErrMethod
	}
	var h map[string]string
	if err := json.Unmarshal(ctx.PostBody(), &h); err != nil {
		return fmt.Errorf("%w: want a JSON object of strings: %w", ErrBadRequest, err)
	}
	base := s.cfg.Dials
	base.StaleAfter = s.cfg.EdgeTimeout
	if _, err := applyDials(base, h); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	args := make([]any, 0, 2*len(h))
	for k, v := range h {
		args = append(args, k, v)
	}
	pipe := s.rdb.TxPipeline()
	pipe.Del(rctx, keyDials)
	if len(args) > 0 {
		pipe.HSet(rctx, keyDials, args...)
	}
	if err := execPipe(rctx, pipe); err != nil {
		return fmt.Errorf("%w: %w", ErrRedis, err)
	}
	s.log.Info().Int("fields", len(h)).Msg("dials set by admin")
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}

func (s *Server) adminKey(rctx context.Context, ctx *fasthttp.RequestCtx, stream, method string) error {
	if !validName(stream) {
		return fmt.Errorf("%w: bad stream name", ErrBadRequest)
	}
	kc := fleet.NewKeyChecker(s.rdb)
	var err error
	switch method {
	case fasthttp.MethodPut:
		key := string(bytes.TrimSpace(ctx.PostBody()))
		if key == "" {
			return fmt.Errorf("%w: empty key", ErrBadRequest)
		}
		err = kc.SetKey(rctx, stream, key)
	case fasthttp.MethodDelete:
		err = kc.DeleteKey(rctx, stream)
	default:
		return ErrMethod
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRedis, err)
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}
