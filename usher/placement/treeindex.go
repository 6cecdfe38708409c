package placement

import "math"

// Markers in streamRow.up.
const (
	upOrigin  int32 = -1 // pulls from the origin
	upUnknown int32 = -2 // pulls from an edge that does not carry the stream
)

// cycleDepth is the depth given to edges whose parent links loop, so that
// they are never preferred as a parent.
const cycleDepth int32 = 1 << 20

// indexTrees turns each stream's parent links (edge indices, as
// indexStreams noted them) into positions, counts children and depths,
// raises every edge's egress to floor, what its viewers and child feeds
// cost, and records the streams' overflow shares.
func (s *Snapshot) indexTrees(floor []float64, overflow map[string]float64) {
	var chain []int32
	for _, name := range s.streamNames {
		st := s.streams[name]
		if sh := overflow[name]; sh > 0 && s.dials.SteerOverflow && s.dials.OverflowURL != "" {
			st.overflow = math.Min(sh, 1)
			st.reserve = s.dials.SteerReserve
		}
		for j, pi := range st.up {
			if pi < 0 {
				continue
			}
			st.up[j] = upUnknown
			if pos, ok := st.position(pi); ok {
				st.up[j] = int32(pos)
				st.kids[pos]++
			}
		}
		chain = st.fillDepths(chain)
	}
	for i := range s.rows {
		if floor[i] > s.rows[i].egress {
			s.rows[i].egress = floor[i]
			s.edges[i].EgressMbps = floor[i]
		}
	}
}

// fillDepths computes every carrying edge's hops from the origin by
// following parent links; an edge under a parent that does not carry the
// stream counts as two hops, and a loop as cycleDepth. chain is scratch.
func (st *streamRow) fillDepths(chain []int32) []int32 {
	for j := range st.edges {
		chain = chain[:0]
		k := int32(j)
		for k >= 0 && st.depth[k] == 0 {
			st.depth[k] = -1 // on the chain
			chain = append(chain, k)
			k = st.up[k]
		}
		var d int32
		switch {
		case k == upOrigin:
			d = 0
		case k == upUnknown:
			d = 1
		case st.depth[k] < 0:
			d = cycleDepth
		default:
			d = st.depth[k]
		}
		for x := len(chain) - 1; x >= 0; x-- {
			d = min(d+1, cycleDepth)
			st.depth[chain[x]] = d
		}
	}
	return chain
}

// position returns where edge i is in st.edges.
func (st *streamRow) position(i int32) (int, bool) {
	if !st.carriedBy(i) {
		return 0, false
	}
	lo, hi := 0, len(st.edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if st.edges[m] < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, true
}
