package placement

import (
	"math"
	"time"
)

// Edge states while one stream is planned.
const (
	stateIneligible uint8 = iota // inactive, stale or without room
	stateCandidate               // eligible, does not carry the stream
	stateMember                  // eligible, carries the stream
	stateChosen                  // selected, waiting for a parent
	stateInTree                  // attached to the tree
	stateDropped                 // selected but no parent could take it
)

// Parent markers in planner.parent and planner.curParent.
const (
	parentOrigin int32 = -1
	parentNone   int32 = -2
)

// planner holds the scratch state of planning; one planner plans any number
// of streams of one snapshot in sequence.
type planner struct {
	s     *Snapshot
	now   time.Time
	nowNs int64

	// load is each edge's projected egress: measured egress with every
	// planned stream's current share replaced by its planned share.
	load []float64

	// Per stream.
	st               *streamRow
	b                float64
	viewers          int
	projectedViewers float64
	demand           float64   // Mbps
	capacity         float64   // viewer Mbps of the attached tree
	edgeViewers      int       // viewers the edges report
	share            []float64 // stream's current egress per edge
	onEdge           []float64 // stream's current viewer Mbps per edge
	avail            []float64 // Mbps the stream may use per edge
	state            []uint8
	parent           []int32 // planned parent
	curParent        []int32 // current parent of members
	kids             []int32
	depth            []int32
	chosen           []int32 // members kept in the first phase
	tree             []int32 // attached edges in attach order
	spare            []int32 // current members, fewest viewers first
	feeds            []int32 // per position in st.edges: member children not pruned
	originKids       int

	// Per datacenter, per stream.
	dcShare []float64  // fraction of viewers nearest each DC; nil if unknown
	have    []float64  // viewer Mbps chosen per DC
	left    [2][]int32 // eligible edges: [0] members, [1] others not yet chosen
	shares  []float64  // backing store of dcShare
	counts  []int      // scratch for dcShare
}

func newPlanner(s *Snapshot, now time.Time) *planner {
	n, nd := len(s.edges), len(s.dcs)
	p := &planner{
		s:         s,
		now:       now,
		nowNs:     unixNano(now),
		load:      make([]float64, n),
		share:     make([]float64, n),
		onEdge:    make([]float64, n),
		avail:     make([]float64, n),
		state:     make([]uint8, n),
		parent:    make([]int32, n),
		curParent: make([]int32, n),
		kids:      make([]int32, n),
		depth:     make([]int32, n),
		have:      make([]float64, nd),
		left:      [2][]int32{make([]int32, nd), make([]int32, nd)},
		shares:    make([]float64, nd),
		counts:    make([]int, nd),
	}
	for i := range s.rows {
		p.load[i] = s.rows[i].egress
	}
	return p
}

// projected returns the viewers expected Horizon from now.
func (p *planner) projected(st *streamRow) float64 {
	v := float64(p.currentViewers(st))
	if vel := st.demand.Velocity; vel > 0 {
		v += vel * p.s.dials.Horizon.Seconds()
	}
	return v
}

// currentViewers trusts the larger of usher's demand count and the edges'
// reports, since either may lag the other.
func (p *planner) currentViewers(st *streamRow) int {
	sum := 0
	for _, i := range st.edges {
		sum += p.s.edges[i].Streams[st.name].Viewers
	}
	return max(sum, st.demand.Viewers)
}

func (p *planner) currentParent(i int32) string {
	return p.s.edges[i].Streams[p.st.name].Parent
}

// begin resets the per-stream state and classifies the edges.
func (p *planner) begin(st *streamRow) {
	s := p.s
	p.st, p.b = st, st.origin.BitrateMbps
	p.viewers = p.currentViewers(st)
	p.projectedViewers = p.projected(st)
	p.demand = p.projectedViewers * p.b
	p.capacity = 0
	p.edgeViewers = 0
	p.chosen, p.tree = p.chosen[:0], p.tree[:0]
	p.originKids = 0
	clear(p.share)
	clear(p.onEdge)
	clear(p.kids)
	clear(p.have)
	clear(p.left[0])
	clear(p.left[1])

	// The stream's current egress on an edge is its viewers plus its
	// children; planning replaces it, so it does not count as other load.
	for _, i := range st.edges {
		on := s.edges[i].Streams[st.name]
		p.share[i] += float64(on.Viewers) * p.b
		p.onEdge[i] = float64(on.Viewers) * p.b
		p.edgeViewers += on.Viewers
		p.curParent[i] = parentNone
		if on.Parent == "" {
			p.curParent[i] = parentOrigin
		} else if j, ok := s.byID[on.Parent]; ok {
			p.curParent[i] = j
			p.share[j] += p.b
		}
	}
	for i := range s.rows {
		row := &s.rows[i]
		p.load[i] -= p.share[i]
		p.avail[i] = row.limit - max(p.load[i], 0)
		p.parent[i], p.depth[i] = parentNone, 0
		p.state[i] = stateIneligible
		if !row.active || p.nowNs > row.freshUntil || p.avail[i] < p.b {
			continue
		}
		kind := 1
		p.state[i] = stateCandidate
		if st.carriedBy(int32(i)) {
			kind = 0
			p.state[i] = stateMember
		}
		p.left[kind][row.dc]++
	}
	p.computeDCShare()
}

// computeDCShare estimates where the viewers are, per datacenter: from the
// demand's region split (each region counting for its lowest-latency
// datacenter that has eligible edges), else from the edges' viewer counts.
func (p *planner) computeDCShare() {
	s, st := p.s, p.st
	clear(p.counts)
	total := 0
	if len(st.demand.ByRegion) > 0 {
		for region, v := range st.demand.ByRegion {
			ri, ok := s.regionIndex[region]
			if !ok || v <= 0 {
				continue
			}
			best, bestMs := -1, math.Inf(1)
			for d := range s.dcs {
				if p.left[0][d]+p.left[1][d] == 0 {
					continue
				}
				if ms := s.latencyMs(ri, int32(d)); ms < bestMs {
					best, bestMs = d, ms
				}
			}
			if best >= 0 {
				p.counts[best] += v
				total += v
			}
		}
	}
	if total == 0 {
		for _, i := range st.edges {
			if v := s.edges[i].Streams[st.name].Viewers; v > 0 {
				p.counts[s.rows[i].dc] += v
				total += v
			}
		}
	}
	p.dcShare = nil
	if total == 0 {
		return
	}
	p.dcShare = p.shares
	for d := range p.dcShare {
		p.dcShare[d] = float64(p.counts[d]) / float64(total)
	}
}

// pickCandidate selects the next candidate toward goal Mbps of viewer
// room: from the datacenter whose viewers are least covered, else
// anywhere; the least loaded edge wins, ties by hash. It returns -1 when
// none is left.
func (p *planner) pickCandidate(goal float64) int32 {
	const kind = 1
	s := p.s
	bestDC, bestDeficit := -1, 0.0
	for d, share := range p.dcShare {
		if p.left[kind][d] == 0 {
			continue
		}
		if def := share*goal - p.have[d]; def > bestDeficit {
			bestDC, bestDeficit = d, def
		}
	}
	best := int32(-1)
	var bestUtil float64
	var bestTie uint64
	consider := func(i int32) {
		if p.state[i] != stateCandidate {
			return
		}
		util := max(p.load[i], 0) * s.rows[i].invCap
		tie := mix(p.st.hash ^ s.rows[i].hash)
		if best < 0 || util < bestUtil || (util == bestUtil && tie < bestTie) {
			best, bestUtil, bestTie = i, util, tie
		}
	}
	if bestDC >= 0 {
		for _, i := range s.dcEdges[bestDC] {
			consider(i)
		}
	} else {
		for i := range s.rows {
			consider(int32(i))
		}
	}
	if best >= 0 {
		p.state[best] = stateChosen
		p.left[kind][s.rows[best].dc]--
	}
	return best
}

// grow adds edges until the tree's viewer room covers the demand.
func (p *planner) grow() {
	clear(p.have)
	for _, i := range p.tree {
		p.have[p.s.rows[i].dc] += p.viewerRoom(i)
	}
	for p.capacity < p.demand {
		i := p.pickCandidate(p.demand)
		if i < 0 || !p.attachBest(i) {
			return
		}
	}
}

// viewerRoom is the egress an attached edge has left for viewers once its
// children are fed; none when it keeps more children than its room allows
// (see arrangeMembers).
func (p *planner) viewerRoom(i int32) float64 {
	return max(0, p.avail[i]-float64(p.kids[i])*p.b)
}

// commit books the planned stream's load: each child costs its parent one
// bitrate, and the demand fills the edges' viewer room proportionally, but
// never below the viewers an edge serves now, who stay where they are.
func (p *planner) commit() {
	fill := 0.0
	if p.capacity > 0 {
		fill = min(1, p.demand/p.capacity)
	}
	for _, i := range p.tree {
		p.load[i] += float64(p.kids[i])*p.b + max(p.viewerRoom(i)*fill, p.onEdge[i])
	}
}
