package placement

import (
	"net/netip"
	"time"
)

// Request describes one viewer asking usher where to play a stream.
type Request struct {
	Stream string
	// Path is the requested file, e.g. "index.m3u8"; only the overflow URL
	// uses it.
	Path string
	// Region is the viewer region, a row of the latency matrix.
	Region string
	// ASN is the viewer's network; it selects the ISP's peered datacenters.
	ASN uint32
	// ArrivalDC is the datacenter whose usher received the request.
	ArrivalDC string
	// Country, ISP and ClientIP are carried for the caller's logs and
	// tokens; placement does not score them.
	Country  string
	ISP      string
	ClientIP netip.Addr
	// Now is when the decision is made; zero means the snapshot's Taken.
	Now time.Time
}

// Reason says why a Decision came out the way it did.
type Reason uint8

const (
	// ReasonNone is the zero Reason.
	ReasonNone Reason = iota
	// ReasonCarrying: the best edge already carries the stream.
	ReasonCarrying
	// ReasonNewUpstream: no carrying edge has room, so the best edge will
	// open a new upstream for the stream.
	ReasonNewUpstream
	// ReasonNoRoom: live edges exist but none has room; overflow.
	ReasonNoRoom
	// ReasonNoEdges: no edge is active and fresh; overflow.
	ReasonNoEdges
	// ReasonUnknownStream: the snapshot has no origin for the stream.
	ReasonUnknownStream
	// ReasonPlannedOverflow: the last plan could not fit the stream's
	// growth, so the ledger steers this viewer, one of the planned share,
	// to the overflow CDN and keeps the fleet's room for other streams.
	ReasonPlannedOverflow
)

// String returns the reason's name, suitable as a metric label.
func (r Reason) String() string {
	switch r {
	case ReasonCarrying:
		return "carrying"
	case ReasonNewUpstream:
		return "new-upstream"
	case ReasonNoRoom:
		return "no-room"
	case ReasonNoEdges:
		return "no-edges"
	case ReasonUnknownStream:
		return "unknown-stream"
	case ReasonPlannedOverflow:
		return "planned-overflow"
	default:
		return "none"
	}
}

// Pick is one ranked edge of a Decision.
type Pick struct {
	// Edge points into the snapshot and must not be modified.
	Edge *Edge
	// Score is the edge's score; lower is better.
	Score float64
	// Parent is, for an edge that does not carry the stream yet, the edge
	// the parent rule has it pull from; nil means the origin. Ledger.Choose
	// charges the feed to it when the pick is the best.
	Parent *Edge
	// Carrying reports whether the edge already carries the stream.
	Carrying bool
	idx      int32
}

// Decision is where to send one viewer: a ranked list of edges, or the
// overflow URL when no edge has room or the viewer is steered there.
type Decision struct {
	Reason Reason
	// Overflow is set when no edge has room or the viewer is steered to
	// the overflow CDN; OverflowURL is then the expanded Dials.OverflowURL,
	// empty when there is no overflow CDN.
	Overflow    bool
	OverflowURL string
	n           int
	picks       [MaxPicks]Pick
}

// Picks returns the ranked edges, best first, at most Dials.Candidates.
func (d *Decision) Picks() []Pick { return d.picks[:d.n] }

// Best returns the best edge, if any.
func (d *Decision) Best() (Pick, bool) {
	if d.n == 0 {
		return Pick{}, false
	}
	return d.picks[0], true
}

// Choose ranks the edges for r without accounting for earlier decisions;
// use a Ledger to count the viewers sent since the snapshot was taken.
//
// An edge is a candidate only if it is active, reported within
// Dials.StaleAfter, and its egress plus the stream's bitrate stays within
// Headroom × capacity, less Dials.SteerReserve of that for a stream with a
// planned overflow share (see Input.Overflow). Edges that already carry the stream rank before all
// others, since they need no new upstream; within each group the lower
// score wins and exact ties go to the lower hash of stream and edge ID,
// which spreads streams over equal edges yet never changes between calls.
//
// An edge that does not carry the stream will pull it from the parent the
// parent rule gives (Pick.Parent): a carrying edge that is active, fresh,
// below FanOut children and with room within Headroom for one more feed,
// in the new edge's datacenter if possible, then the shallowest, then the
// lowest ID; else the origin. So no edge is ever projected past Headroom,
// counting what a parent sends to its children.
//
// Choose does not send a stream's planned overflow share of viewers to the
// overflow CDN, as it keeps no count of them; Ledger.Choose does.
func Choose(s *Snapshot, r Request) Decision {
	return s.choose(r, nil)
}

// ranked is a candidate edge during a decision.
type ranked struct {
	idx   int32
	tier  uint8 // 0 carrying, 1 new upstream
	score float64
	tie   uint64
}

func (a *ranked) before(b *ranked) bool {
	if a.tier != b.tier {
		return a.tier < b.tier
	}
	if a.score != b.score {
		return a.score < b.score
	}
	if a.tie != b.tie {
		return a.tie < b.tie
	}
	return a.idx < b.idx
}

// topN keeps the best few candidates in order; insertion into a tiny array
// beats sorting all edges.
type topN struct {
	n, max int
	items  [MaxPicks]ranked
}

func (t *topN) offer(c ranked) {
	if t.n == t.max {
		if !c.before(&t.items[t.n-1]) {
			return
		}
		t.n--
	}
	i := t.n
	for i > 0 && c.before(&t.items[i-1]) {
		t.items[i] = t.items[i-1]
		i--
	}
	t.items[i] = c
	t.n++
}

// pass holds what every candidate of one decision is scored against.
type pass struct {
	s        *Snapshot
	st       *streamRow
	nowNs    int64
	bitrate  float64
	shards   float64
	reserved []float64 // nil without a ledger
	steered  bool      // the stream leaves Dials.SteerReserve of each edge
	dcScore  [MaxDCs]float64
	live     int
	top      topN
}

func (p *pass) consider(i int32, tier uint8) {
	row := &p.s.rows[i]
	if !row.active || p.nowNs > row.freshUntil {
		return
	}
	p.live++
	used := row.egress
	if p.reserved != nil {
		used += p.shards * p.reserved[i]
	}
	limit := row.limit
	if p.steered {
		limit = p.st.limit(row)
	}
	if used+p.shards*p.bitrate > limit {
		return
	}
	p.top.offer(ranked{
		idx:   i,
		tier:  tier,
		score: p.s.dials.WeightLoad*used*row.invCap + p.dcScore[row.dc],
		tie:   mix(p.st.hash ^ row.hash),
	})
}

// choose is Choose with an optional ledger.
func (s *Snapshot) choose(r Request, l *Ledger) Decision {
	var d Decision
	st := s.streams[r.Stream]
	if st == nil {
		d.Reason = ReasonUnknownStream
		return d
	}
	if l != nil && st.overflow > 0 && l.steered(st) {
		d.Overflow = true
		d.Reason = ReasonPlannedOverflow
		d.OverflowURL = expandOverflow(s.dials.OverflowURL, r.Stream, r.Path)
		return d
	}
	now := r.Now
	if now.IsZero() {
		now = s.taken
	}
	p := pass{s: s, st: st, nowNs: unixNano(now), bitrate: st.origin.BitrateMbps, shards: 1, steered: st.reserve > 0}
	p.top.max = s.dials.Candidates
	var started []start
	if l != nil {
		p.shards, p.reserved, started = l.shards, l.reserved, l.started[st]
	}
	s.scoreDCs(&p.dcScore, r)

	for _, i := range st.edges {
		p.consider(i, 0)
	}
	for k := range started {
		if !started[k].carrying {
			p.consider(started[k].edge, 0)
		}
	}
	if p.top.n < p.top.max {
		for i := range s.rows {
			i := int32(i)
			if !st.carriedBy(i) && startedAt(started, i) < 0 {
				p.consider(i, 1)
			}
		}
	}

	if p.top.n == 0 {
		d.Overflow = true
		d.Reason = ReasonNoRoom
		if p.live == 0 {
			d.Reason = ReasonNoEdges
		}
		if s.dials.OverflowURL != "" {
			d.OverflowURL = expandOverflow(s.dials.OverflowURL, r.Stream, r.Path)
		}
		return d
	}
	d.Reason = ReasonNewUpstream
	if p.top.items[0].tier == 0 {
		d.Reason = ReasonCarrying
	}
	d.n = p.top.n
	for k := 0; k < p.top.n; k++ {
		c := &p.top.items[k]
		d.picks[k] = Pick{Edge: &s.edges[c.idx], Score: c.score, Carrying: c.tier == 0, idx: c.idx}
	}
	if p.top.items[p.top.n-1].tier == 1 {
		s.setParents(&d, st, l, p.nowNs)
	}
	return d
}

// setParents fills in the parent of every pick that opens a new upstream.
func (s *Snapshot) setParents(d *Decision, st *streamRow, l *Ledger, nowNs int64) {
	var ps parents
	s.findParents(st, l, nowNs, -1, &ps)
	for k := range d.picks[:d.n] {
		pk := &d.picks[k]
		if pk.Carrying {
			continue
		}
		if par := ps.of(s.rows[pk.idx].dc); par >= 0 {
			pk.Parent = &s.edges[par]
		}
	}
}

// scoreDCs fills the part of each edge's score that depends only on its
// datacenter: latency, cost with peering, and the arrival bonus.
func (s *Snapshot) scoreDCs(out *[MaxDCs]float64, r Request) {
	region := int32(-1)
	if ri, ok := s.regionIndex[r.Region]; ok {
		region = ri
	}
	arrival := int32(-1)
	if r.ArrivalDC != "" {
		if ai, ok := s.dcIndex[r.ArrivalDC]; ok {
			arrival = ai
		}
	}
	var peered uint64
	if r.ASN != 0 {
		peered = s.peering[r.ASN]
	}
	dl := &s.dials
	for d := range s.dcs {
		cost := s.dcCost[d]
		if peered&(1<<uint(d)) != 0 {
			cost = 0
		}
		sc := dl.WeightLatency*s.latencyMs(region, int32(d)) + dl.WeightCost*cost
		if int32(d) == arrival {
			sc -= dl.ArrivalBonus
		}
		out[d] = sc
	}
}

// mix is the splitmix64 finalizer; it turns stream⊕edge hashes into a
// well-spread tie-break key.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
