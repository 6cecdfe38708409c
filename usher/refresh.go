package usher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/placement"
)

// view is everything a request is answered from: one snapshot and what was
// read with it. It is immutable once installed.
type view struct {
	snap  *placement.Snapshot
	drain map[string]bool // edges an operator drains
}

// refresher reads the fleet from Redis and builds views. Only the refresh
// goroutine uses it.
type refresher struct {
	cfg     Config
	rdb     redis.UniversalClient
	log     zerolog.Logger
	latency map[string]map[string]float64
	peering map[uint32][]string
	demand  *demandReader

	dials    placement.Dials // dials in force
	dialsSig string          // signature of the dials hash last seen

	treesGen int64 // keyTreesGen when keyTrees was last read

	emptySince time.Time // first read that came back empty while the view was not
}

// readResult is one refresh's raw reading of Redis.
type readResult struct {
	edges    []edgeRecord
	origins  []originRecord
	dials    map[string]string
	drain    map[string]bool
	buckets  map[int64]map[string]int64
	trees    *treeSet // nil when unchanged or read by the leader
	treesGen int64
}

// read fetches the fleet in two pipelined round trips: the indexes, dials,
// drain flags and demand buckets first, then the records they name.
func (r *refresher) read(ctx context.Context, now time.Time, leader bool) (*readResult, error) {
	ms := now.UnixMilli()
	secs := r.demand.toFetch(now)
	pipe := r.rdb.Pipeline()
	edgeIDs := pipe.ZRangeByScore(ctx, keyEdgesSeen, &redis.ZRangeBy{Min: strconv.FormatInt(ms-r.cfg.EdgeTimeout.Milliseconds(), 10), Max: "+inf"})
	originURLs := pipe.ZRangeByScore(ctx, keyOriginsSeen, &redis.ZRangeBy{Min: strconv.FormatInt(ms-r.cfg.OriginTimeout.Milliseconds(), 10), Max: "+inf"})
	dials := pipe.HGetAll(ctx, keyDials)
	drain := pipe.HGetAll(ctx, keyDrain)
	gen := pipe.Get(ctx, keyTreesGen)
	buckets := make([]*redis.MapStringStringCmd, len(secs))
	for i, sec := range secs {
		buckets[i] = pipe.HGetAll(ctx, arrivalsKey(sec))
	}
	if err := execPipe(ctx, pipe); err != nil {
		return nil, err
	}
	res := &readResult{dials: dials.Val(), drain: map[string]bool{}, buckets: make(map[int64]map[string]int64, len(secs))}
	for id, v := range drain.Val() {
		if v != "" && v != "0" {
			res.drain[id] = true
		}
	}
	for i, sec := range secs {
		b := make(map[string]int64, len(buckets[i].Val()))
		for f, v := range buckets[i].Val() {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
				b[f] = n
			}
		}
		res.buckets[sec] = b
	}
	res.treesGen, _ = strconv.ParseInt(gen.Val(), 10, 64)

	pipe = r.rdb.Pipeline()
	edgeCmds := make([]*redis.MapStringStringCmd, len(edgeIDs.Val()))
	for i, id := range edgeIDs.Val() {
		edgeCmds[i] = pipe.HGetAll(ctx, edgeKey(id))
	}
	originCmds := make([]*redis.MapStringStringCmd, len(originURLs.Val()))
	for i, u := range originURLs.Val() {
		originCmds[i] = pipe.HGetAll(ctx, originKey(u))
	}
	var treesCmd *redis.StringCmd
	if !leader && res.treesGen != r.treesGen {
		treesCmd = pipe.Get(ctx, keyTrees)
	}
	if len(edgeCmds)+len(originCmds) > 0 || treesCmd != nil {
		if err := execPipe(ctx, pipe); err != nil {
			return nil, err
		}
	}
	for i, id := range edgeIDs.Val() {
		if e, ok := parseEdge(id, edgeCmds[i].Val()); ok {
			res.edges = append(res.edges, e)
		}
	}
	// Origins come oldest first, so a stream two origins claim goes to the
	// one that reported last.
	for i, u := range originURLs.Val() {
		if o, ok := parseOrigin(u, originCmds[i].Val()); ok {
			res.origins = append(res.origins, o)
		}
	}
	if treesCmd != nil {
		res.trees = decodeTrees(treesCmd.Val())
	}
	return res, nil
}

// applyDials updates the dials in force from the hash read, logging a
// change or a rejection once rather than at every refresh.
func (r *refresher) applyDials(h map[string]string) {
	sig := hashSignature(h)
	if sig == r.dialsSig {
		return
	}
	r.dialsSig = sig
	base := r.cfg.Dials
	base.StaleAfter = r.cfg.EdgeTimeout
	d, err := applyDials(base, h)
	if err != nil {
		r.log.Error().Err(err).Msg("dials in redis rejected; keeping the previous ones")
		return
	}
	d.StaleAfter = r.cfg.EdgeTimeout
	r.dials = d
	r.log.Info().Int("fields", len(h)).Msg("dials changed")
}

// build turns a reading into a view. Planned tree members are marked as
// carrying their streams, so viewers go to the edges the planner grew the
// tree onto, before those edges report the stream themselves.
func (r *refresher) build(now time.Time, res *readResult, trees *treeSet) (*view, error) {
	origins := make(map[string]placement.Origin)
	originURL := make(map[string]bool)
	for _, o := range res.origins {
		originURL[o.URL] = true
		for _, s := range o.Streams {
			b := s.BitrateMbps
			if !(b > 0) || b > 1e6 {
				b = r.cfg.DefaultBitrateMbps
			}
			origins[s.Name] = placement.Origin{URL: o.URL, BitrateMbps: b}
		}
	}
	idByURL := make(map[string]string, len(res.edges))
	for _, e := range res.edges {
		idByURL[e.URL] = e.ID
	}
	edges := make([]placement.Edge, 0, len(res.edges))
	index := make(map[string]int, len(res.edges))
	for _, e := range res.edges {
		if !finite(e.CapacityMbps) || !finite(e.EgressMbps) {
			continue
		}
		pe := placement.Edge{
			ID: e.ID, URL: e.URL, DC: e.DC,
			CapacityMbps: e.CapacityMbps, EgressMbps: e.EgressMbps,
			LastSeen: e.Seen,
		}
		if e.State == fleet.StateDraining || res.drain[e.ID] {
			pe.State = placement.EdgeDraining
		}
		if len(e.Streams) > 0 {
			pe.Streams = make(map[string]placement.StreamOnEdge, len(e.Streams))
			for name, s := range e.Streams {
				pe.Streams[name] = placement.StreamOnEdge{Viewers: s.Viewers, Parent: parentID(s.Parent, origins[name].URL, idByURL)}
			}
		}
		index[e.ID] = len(edges)
		edges = append(edges, pe)
	}
	floorEgress(edges, origins)
	if trees != nil {
		cloned := make(map[int]bool)
		for stream, t := range trees.streams {
			if _, ok := origins[stream]; !ok {
				continue
			}
			for id, n := range t.nodes {
				i, ok := index[id]
				if !ok {
					continue
				}
				if _, has := edges[i].Streams[stream]; has {
					continue
				}
				if !cloned[i] {
					edges[i].Streams = maps.Clone(edges[i].Streams)
					if edges[i].Streams == nil {
						edges[i].Streams = make(map[string]placement.StreamOnEdge)
					}
					cloned[i] = true
				}
				edges[i].Streams[stream] = placement.StreamOnEdge{Parent: n.parentID}
			}
		}
	}
	var overflow map[string]float64
	if trees != nil {
		overflow = trees.overflowShares()
	}
	snap, err := placement.NewSnapshot(placement.Input{
		Overflow: overflow,
		Edges:    edges,
		Origins:  origins,
		Demand:   r.demand.demand(now, res.buckets),
		Latency:  r.latency,
		Peering:  r.peering,
		Dials:    r.dials,
		Taken:    now,
	})
	if err != nil {
		return nil, fmt.Errorf("usher: build snapshot: %w", err)
	}
	return &view{snap: snap, drain: res.drain}, nil
}

// floorEgress raises each edge's egress to at least what its reported
// viewers and child edges cost at the streams' bitrates. A viewer counts
// from its first request while a measured byte rate lags, so this keeps a
// ledger reset from handing out room the new viewers already use.
func floorEgress(edges []placement.Edge, origins map[string]placement.Origin) {
	index := make(map[string]int, len(edges))
	for i := range edges {
		index[edges[i].ID] = i
	}
	floor := make([]float64, len(edges))
	for i := range edges {
		for name, s := range edges[i].Streams {
			b := origins[name].BitrateMbps
			floor[i] += float64(s.Viewers) * b
			if p, ok := index[s.Parent]; ok {
				floor[p] += b
			}
		}
	}
	for i := range edges {
		edges[i].EgressMbps = max(edges[i].EgressMbps, floor[i])
	}
}

// parentID maps the parent URL an edge reports to placement's form: ""
// for the origin (or no report), the parent edge's ID, or, for a URL that
// is neither, an ID no edge has, so the planner re-parents the edge.
func parentID(url, originURL string, idByURL map[string]string) string {
	if url == "" || url == originURL {
		return ""
	}
	if id, ok := idByURL[url]; ok {
		return id
	}
	return "?" + url
}

// suspiciousEmpty reports whether a reading should be held back: it has no
// edges or no origins while the view in force has some. Such a reading is
// accepted only once readings have stayed empty for the edge timeout, so a
// restarted, empty Redis does not send every viewer to the overflow before
// the fleet has reported again.
func (r *refresher) suspiciousEmpty(now time.Time, cur *view, res *readResult) bool {
	empty := cur != nil &&
		(len(res.edges) == 0 && len(cur.snap.Edges()) > 0 ||
			len(res.origins) == 0 && len(cur.snap.Streams()) > 0)
	if !empty {
		r.emptySince = time.Time{}
		return false
	}
	if r.emptySince.IsZero() {
		r.emptySince = now
		r.log.Warn().Msg("redis returned an empty fleet; keeping the last snapshot for now")
	}
	return now.Sub(r.emptySince) < r.cfg.EdgeTimeout
}

func finite(v float64) bool { return v >= 0 && v < 1e12 }

// errEmptyHeld reports a reading held back by suspiciousEmpty.
var errEmptyHeld = errors.New("usher: empty reading held back")
