package placement

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Origin is the root of a stream's replication tree.
type Origin struct {
	URL string
	// BitrateMbps is what one viewer (or one child edge) of the stream costs
	// in egress: the sum of the renditions a player may pull.
	BitrateMbps float64
}

// Demand is a stream's audience as measured by usher.
type Demand struct {
	// Viewers is the number of concurrent viewers.
	Viewers int
	// Velocity is the arrival rate in viewers per second; negative when the
	// audience shrinks.
	Velocity float64
	// ByRegion optionally splits Viewers by viewer region (the latency
	// matrix's row names); Plan uses it to spread a tree across datacenters.
	ByRegion map[string]int
}

// Input is everything a Snapshot is built from. NewSnapshot keeps references
// to the maps (Edge.Streams included) instead of copying them, so the caller
// must not modify them afterwards.
type Input struct {
	Edges   []Edge
	Origins map[string]Origin
	Demand  map[string]Demand
	// Latency is viewer region → datacenter → round-trip milliseconds.
	Latency map[string]map[string]float64
	// Peering is ASN → datacenters that ISP peers with; serving its viewers
	// from those datacenters costs nothing.
	Peering map[uint32][]string
	// Overflow is each stream's ArrivalOverflowShare from the last plan
	// (TreePlan.ArrivalOverflowShare): the share of its new viewers that
	// Ledger.Choose sends straight to the overflow CDN, so that a stream
	// the fleet cannot hold does not take the room the plan keeps for the
	// others. A missing stream has none.
	Overflow map[string]float64
	Dials    Dials
	// Taken is when the inputs were read. Choose judges edge freshness
	// against it unless the request carries its own time, so it must be
	// set.
	Taken time.Time
}

// Snapshot is an immutable, indexed view of the fleet that makes a decision
// cheap. Build one with NewSnapshot every refresh; share it freely.
type Snapshot struct {
	taken time.Time
	dials Dials

	edges []Edge    // sorted by ID
	rows  []edgeRow // rows[i] describes edges[i]
	byID  map[string]int32

	dcs     []string // sorted
	dcIndex map[string]int32
	dcEdges [][]int32 // per DC, edge indices ascending
	dcCost  []float64

	regionIndex map[string]int32
	latency     []float64 // [region*len(dcs)+dc] milliseconds

	peering map[uint32]uint64 // ASN → bit set of DC indices

	streams     map[string]*streamRow
	streamNames []string // sorted
	maskWords   int
}

// edgeRow is the hot, flattened part of an Edge that decisions read.
type edgeRow struct {
	dc         int32
	active     bool
	freshUntil int64 // unix nanoseconds after which the edge is stale
	capacity   float64
	invCap     float64 // 1/capacity, 0 when capacity is 0
	limit      float64 // Headroom × capacity
	egress     float64
	hash       uint64 // xxhash of the edge ID
}

// streamRow is the per-stream index: its origin, demand and carrying edges
// with the shape of the tree they form.
type streamRow struct {
	name   string
	id     int32 // index of the row, for per-stream ledger state
	origin Origin
	demand Demand
	edges  []int32  // edges carrying the stream, ascending
	mask   []uint64 // bit set of edges; nil when edges is empty
	hash   uint64   // xxhash of the stream name
	// up, depth and kids run parallel to edges: the position in edges of
	// each edge's parent (upOrigin, or upUnknown for a parent that does not
	// carry the stream), its hops from the origin, and its children.
	up    []int32
	depth []int32
	kids  []int32
	// overflow is the share of new viewers to steer to the overflow CDN,
	// 0 when the stream is not steered, and reserve the fraction of each
	// edge's room within Headroom it then leaves to other streams.
	overflow float64
	reserve  float64
}

// limit is what stream st may fill edge row up to.
func (st *streamRow) limit(row *edgeRow) float64 {
	return row.limit * (1 - st.reserve)
}

func (st *streamRow) carriedBy(i int32) bool {
	return st.mask != nil && st.mask[i>>6]&(1<<(uint(i)&63)) != 0
}

// NewSnapshot validates and indexes in.
func NewSnapshot(in Input) (*Snapshot, error) {
	if err := in.Dials.Validate(); err != nil {
		return nil, err
	}
	s := &Snapshot{
		taken:   in.Taken,
		dials:   in.Dials,
		edges:   slices.Clone(in.Edges),
		byID:    make(map[string]int32, len(in.Edges)),
		dcIndex: make(map[string]int32),
		streams: make(map[string]*streamRow, len(in.Origins)),
	}
	slices.SortFunc(s.edges, func(a, b Edge) int { return cmp.Compare(a.ID, b.ID) })
	if err := s.indexEdges(); err != nil {
		return nil, err
	}
	if err := s.indexStreams(in.Origins, in.Demand, in.Overflow); err != nil {
		return nil, err
	}
	s.indexLatency(in.Latency)
	s.indexPeering(in.Peering)
	return s, nil
}

func (s *Snapshot) indexEdges() error {
	for i := range s.edges {
		e := &s.edges[i]
		if e.ID == "" {
			return fmt.Errorf("%w: empty ID", ErrInvalidEdge)
		}
		if i > 0 && s.edges[i-1].ID == e.ID {
			return fmt.Errorf("%w: duplicate ID %q", ErrInvalidEdge, e.ID)
		}
		if !finiteNonNeg(e.CapacityMbps) || !finiteNonNeg(e.EgressMbps) {
			return fmt.Errorf("%w: %q has capacity %v, egress %v", ErrInvalidEdge, e.ID, e.CapacityMbps, e.EgressMbps)
		}
		if _, ok := s.dcIndex[e.DC]; !ok {
			s.dcIndex[e.DC] = -1
			s.dcs = append(s.dcs, e.DC)
		}
	}
	if len(s.dcs) > MaxDCs {
		return fmt.Errorf("%w: %d > %d", ErrTooManyDCs, len(s.dcs), MaxDCs)
	}
	slices.Sort(s.dcs)
	s.dcEdges = make([][]int32, len(s.dcs))
	s.dcCost = make([]float64, len(s.dcs))
	for d, name := range s.dcs {
		s.dcIndex[name] = int32(d)
		s.dcCost[d] = s.dials.DCCost[name]
	}
	s.rows = make([]edgeRow, len(s.edges))
	for i := range s.edges {
		e := &s.edges[i]
		d := s.dcIndex[e.DC]
		s.byID[e.ID] = int32(i)
		s.dcEdges[d] = append(s.dcEdges[d], int32(i))
		r := edgeRow{
			dc:         d,
			active:     e.State == EdgeActive,
			freshUntil: unixNano(e.LastSeen.Add(s.dials.StaleAfter)),
			capacity:   e.CapacityMbps,
			limit:      s.dials.Headroom * e.CapacityMbps,
			egress:     e.EgressMbps,
			hash:       xxhash.Sum64String(e.ID),
		}
		if e.CapacityMbps > 0 {
			r.invCap = 1 / e.CapacityMbps
		}
		s.rows[i] = r
	}
	return nil
}

func (s *Snapshot) indexStreams(origins map[string]Origin, demand map[string]Demand, overflow map[string]float64) error {
	s.streamNames = make([]string, 0, len(origins))
	rows := make([]streamRow, 0, len(origins))
	for name, o := range origins {
		if o.URL == "" || !(o.BitrateMbps > 0) || math.IsInf(o.BitrateMbps, 0) {
			return fmt.Errorf("%w: stream %q: url %q, bitrate %v", ErrInvalidOrigin, name, o.URL, o.BitrateMbps)
		}
		rows = append(rows, streamRow{name: name, id: int32(len(rows)), origin: o, demand: demand[name], hash: xxhash.Sum64String(name)})
		s.streams[name] = &rows[len(rows)-1]
		s.streamNames = append(s.streamNames, name)
	}
	slices.Sort(s.streamNames)

	// Two passes over the edges' stream maps fill one slab of edge lists,
	// one of bit sets and one of tree shapes instead of thousands of small
	// slices. The second also sums what each edge's viewers and child
	// feeds cost, and notes each carrying edge's parent as an edge index
	// for indexTrees.
	count := make(map[*streamRow]int32, len(rows))
	total := 0
	for i := range s.edges {
		for name := range s.edges[i].Streams {
			if st := s.streams[name]; st != nil {
				count[st]++
				total++
			}
		}
	}
	s.maskWords = (len(s.edges) + 63) / 64
	edgeSlab := make([]int32, 4*total)
	maskSlab := make([]uint64, len(count)*s.maskWords)
	for _, name := range s.streamNames {
		st := s.streams[name]
		n := int(count[st])
		if n == 0 {
			continue
		}
		st.edges, edgeSlab = edgeSlab[:0:n], edgeSlab[n:]
		st.up, edgeSlab = edgeSlab[:0:n], edgeSlab[n:]
		st.depth, edgeSlab = edgeSlab[:n:n], edgeSlab[n:]
		st.kids, edgeSlab = edgeSlab[:n:n], edgeSlab[n:]
		st.mask, maskSlab = maskSlab[:s.maskWords:s.maskWords], maskSlab[s.maskWords:]
	}
	floor := make([]float64, len(s.edges))
	for i := range s.edges {
		for name, on := range s.edges[i].Streams {
			st := s.streams[name]
			if st == nil {
				continue
			}
			st.edges = append(st.edges, int32(i))
			st.mask[i>>6] |= 1 << (uint(i) & 63)
			b := st.origin.BitrateMbps
			floor[i] += float64(on.Viewers) * b
			up := upOrigin
			if on.Parent != "" {
				up = upUnknown
				if pi, ok := s.byID[on.Parent]; ok && pi != int32(i) {
					floor[pi] += b
					up = pi
				}
			}
			st.up = append(st.up, up)
		}
	}
	s.indexTrees(floor, overflow)
	return nil
}

func (s *Snapshot) indexLatency(m map[string]map[string]float64) {
	regions := make([]string, 0, len(m))
	for r := range m {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	s.regionIndex = make(map[string]int32, len(regions))
	s.latency = make([]float64, len(regions)*len(s.dcs))
	for ri, r := range regions {
		s.regionIndex[r] = int32(ri)
		row := s.latency[ri*len(s.dcs) : (ri+1)*len(s.dcs)]
		for d, dc := range s.dcs {
			ms, ok := m[r][dc]
			if !ok || !finiteNonNeg(ms) {
				ms = s.dials.UnknownLatencyMs
			}
			row[d] = ms
		}
	}
}

func (s *Snapshot) indexPeering(p map[uint32][]string) {
	s.peering = make(map[uint32]uint64, len(p))
	for asn, dcs := range p {
		var set uint64
		for _, dc := range dcs {
			if d, ok := s.dcIndex[dc]; ok {
				set |= 1 << uint(d)
			}
		}
		if set != 0 {
			s.peering[asn] = set
		}
	}
}

// latencyMs is the region → DC latency; region -1 is an unknown region.
func (s *Snapshot) latencyMs(region, dc int32) float64 {
	if region < 0 {
		return s.dials.UnknownLatencyMs
	}
	return s.latency[int(region)*len(s.dcs)+int(dc)]
}

// Taken returns when the snapshot's inputs were read.
func (s *Snapshot) Taken() time.Time { return s.taken }

// Dials returns the dials the snapshot was built with.
func (s *Snapshot) Dials() Dials { return s.dials }

// Edges returns the edges sorted by ID. The slice must not be modified.
func (s *Snapshot) Edges() []Edge { return s.edges }

// Edge returns the edge with the given ID.
func (s *Snapshot) Edge(id string) (*Edge, bool) {
	i, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return &s.edges[i], true
}

// Streams returns the names of the streams with a known origin, sorted. The
// slice must not be modified.
func (s *Snapshot) Streams() []string { return s.streamNames }

// Stream returns a stream's origin and demand.
func (s *Snapshot) Stream(name string) (Origin, Demand, bool) {
	st, ok := s.streams[name]
	if !ok {
		return Origin{}, Demand{}, false
	}
	return st.origin, st.demand, true
}

// DCs returns the datacenters that hold at least one edge, sorted.
func (s *Snapshot) DCs() []string { return s.dcs }

func finiteNonNeg(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// Bounds of the times an int64 of Unix nanoseconds can hold.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// unixNano is t.UnixNano saturated at the int64 range, so that the zero
// time (an edge never seen) compares as long ago rather than overflowing.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
