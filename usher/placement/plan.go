package placement

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// TreePlan is the replication tree a stream should have: which edges carry
// it, whom each pulls from, and what changes from the current tree.
type TreePlan struct {
	Stream      string
	OriginURL   string
	BitrateMbps float64
	At          time.Time
	// Viewers is the current audience, ProjectedViewers the audience
	// expected Dials.Horizon from now at the current arrival velocity.
	Viewers          int
	ProjectedViewers float64
	// DemandMbps is ProjectedViewers × BitrateMbps.
	DemandMbps float64
	// CapacityMbps is the egress the planned edges can give the stream's
	// viewers after feeding their children, within Headroom.
	CapacityMbps float64
	// ShortfallMbps is the demand the fleet cannot carry and OverflowShare
	// the same as a fraction of DemandMbps (0..1): the share of viewers to
	// send to the overflow CDN.
	ShortfallMbps float64
	OverflowShare float64
	// ArrivalOverflowShare is the share of the stream's new viewers to
	// send to the overflow CDN (0..1): of the growth projected beyond the
	// viewers the edges serve now, the part the tree has no room left for.
	// Given back in Input.Overflow, it makes Ledger.Choose keep the stream
	// within its tree, so the room planned for other streams stays theirs.
	ArrivalOverflowShare float64
	// Nodes lists the planned edges by depth, then edge ID, so every parent
	// comes before its children.
	Nodes []Node
	// Changes lists what to do to get from the current tree to this one:
	// additions and re-parentings in Nodes order, then removals by edge ID.
	Changes []Change
}

// Node is one edge in a planned tree.
type Node struct {
	EdgeID string
	URL    string
	DC     string
	// Parent is the edge ID to pull from; "" means the origin. ParentURL is
	// the parent's base URL or the origin URL.
	Parent    string
	ParentURL string
	// Depth is 1 for edges that pull from the origin.
	Depth    int
	Children int
	// ViewerMbps is the egress left for the stream's viewers on this edge
	// once its children are fed, and MaxViewers the same in viewers.
	ViewerMbps float64
	MaxViewers int
}

// ChangeKind is the kind of a tree Change.
type ChangeKind uint8

const (
	// ChangeAdd: the edge starts carrying the stream, pulling from To.
	ChangeAdd ChangeKind = iota + 1
	// ChangeReparent: the edge switches its upstream from From to To.
	ChangeReparent
	// ChangeRemove: the edge stops carrying the stream.
	ChangeRemove
)

// String returns the kind's name.
func (k ChangeKind) String() string {
	switch k {
	case ChangeAdd:
		return "add"
	case ChangeReparent:
		return "reparent"
	case ChangeRemove:
		return "remove"
	default:
		return "none"
	}
}

// Change is one step from the current tree to the planned one. From and To
// are parent edge IDs, "" meaning the origin.
type Change struct {
	Kind   ChangeKind
	EdgeID string
	From   string
	To     string
}

// Plan computes the replication tree of one stream at time now (used for
// edge freshness), against the snapshot's measured load.
//
// The plan projects the audience Dials.Horizon ahead (a negative velocity
// is not projected: trees shrink on measured viewers only), keeps current tree
// members while they are needed (with ShrinkMargin hysteresis), then adds
// edges — first where the viewers are, by datacenter share, then the least
// loaded — until their room within Headroom covers the projected demand or
// the fleet runs out, in which case the shortfall is reported. Edges are
// arranged under the origin with at most OriginFanOut roots and FanOut
// children per edge, each child costing its parent one bitrate of egress.
// Existing parent links are kept where still valid; children of edges that
// vanished, went stale, started draining or were dropped are re-parented,
// preferring a parent in their own datacenter, then the shallowest.
func Plan(s *Snapshot, stream string, now time.Time) (TreePlan, error) {
	st := s.streams[stream]
	if st == nil {
		return TreePlan{}, ErrUnknownStream
	}
	p := newPlanner(s, now)
	return p.planStream(st), nil
}

// PlanAll plans every stream of the snapshot in one pass and returns the
// plans sorted by stream name. Unlike calling Plan per stream, the streams
// share the fleet: each stream's current load is replaced by its planned
// load before the next stream is planned, so two streams never count on the
// same free capacity. Streams are planned from the smallest projected
// demand to the largest, so that when the fleet is short the few largest
// streams overflow rather than many small ones.
func PlanAll(s *Snapshot, now time.Time) []TreePlan {
	p := newPlanner(s, now)
	order := make([]*streamRow, 0, len(s.streamNames))
	demand := make(map[*streamRow]float64, len(s.streamNames))
	for _, name := range s.streamNames {
		st := s.streams[name]
		order = append(order, st)
		demand[st] = p.projected(st) * st.origin.BitrateMbps
	}
	slices.SortFunc(order, func(a, b *streamRow) int {
		if c := cmp.Compare(demand[a], demand[b]); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	plans := make([]TreePlan, 0, len(order))
	for _, st := range order {
		plans = append(plans, p.planStream(st))
	}
	slices.SortFunc(plans, func(a, b TreePlan) int { return cmp.Compare(a.Stream, b.Stream) })
	return plans
}

// planStream plans one stream and books its planned load into p.load.
func (p *planner) planStream(st *streamRow) TreePlan {
	p.begin(st)
	p.selectMembers()
	p.arrangeMembers()
	p.grow()
	plan := p.result()
	p.commit()
	return plan
}

// result renders the planner state as a TreePlan.
func (p *planner) result() TreePlan {
	s, st, b := p.s, p.st, p.b
	plan := TreePlan{
		Stream:           st.name,
		OriginURL:        st.origin.URL,
		BitrateMbps:      b,
		At:               p.now,
		Viewers:          p.viewers,
		ProjectedViewers: p.projectedViewers,
		DemandMbps:       p.demand,
		CapacityMbps:     p.capacity,
		Nodes:            make([]Node, 0, len(p.tree)),
	}
	if p.demand > p.capacity {
		plan.ShortfallMbps = p.demand - p.capacity
		plan.OverflowShare = plan.ShortfallMbps / p.demand
	}
	plan.ArrivalOverflowShare = p.arrivalOverflow()
	// Nodes are listed by depth, then edge ID, so that an unchanged tree
	// reads the same whichever order its edges were attached in.
	slices.SortFunc(p.tree, func(a, b int32) int {
		if c := cmp.Compare(p.depth[a], p.depth[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	nChanges := 0
	for _, i := range p.tree {
		e := &s.edges[i]
		n := Node{EdgeID: e.ID, URL: e.URL, DC: e.DC, Depth: int(p.depth[i]), Children: int(p.kids[i]), ParentURL: st.origin.URL}
		if par := p.parent[i]; par >= 0 {
			n.Parent, n.ParentURL = s.edges[par].ID, s.edges[par].URL
		}
		n.ViewerMbps = p.viewerRoom(i)
		n.MaxViewers = int(math.Floor(n.ViewerMbps/b + 1e-9))
		plan.Nodes = append(plan.Nodes, n)
		if !st.carriedBy(i) || p.currentParent(i) != n.Parent {
			nChanges++
		}
	}
	for _, i := range st.edges {
		if p.state[i] != stateInTree {
			nChanges++
		}
	}
	if nChanges == 0 {
		return plan
	}
	plan.Changes = make([]Change, 0, nChanges)
	for k, i := range p.tree {
		if !st.carriedBy(i) {
			plan.Changes = append(plan.Changes, Change{Kind: ChangeAdd, EdgeID: s.edges[i].ID, To: plan.Nodes[k].Parent})
		}
	}
	for k, i := range p.tree {
		if from := p.currentParent(i); st.carriedBy(i) && from != plan.Nodes[k].Parent {
			plan.Changes = append(plan.Changes, Change{Kind: ChangeReparent, EdgeID: s.edges[i].ID, From: from, To: plan.Nodes[k].Parent})
		}
	}
	for _, i := range st.edges {
		if p.state[i] != stateInTree {
			plan.Changes = append(plan.Changes, Change{Kind: ChangeRemove, EdgeID: s.edges[i].ID, From: p.currentParent(i)})
		}
	}
	return plan
}

// arrivalOverflow is the share of new viewers the tree cannot take: the
// room left once the viewers on the edges are served, against the growth
// projected beyond them. A tree already full, or fuller than planned,
// takes no one new.
func (p *planner) arrivalOverflow() float64 {
	served := float64(p.edgeViewers) * p.b
	room := p.capacity - served
	growth := p.demand - served
	switch {
	case growth <= room:
		return 0
	case room <= 0:
		return 1
	}
	return 1 - room/growth
}
