package placement

import "fmt"

// parents is the parent rule's answer for one stream, for a new edge in
// any datacenter.
type parents struct {
	byDC [MaxDCs]int32 // best carrying edge in each datacenter, or parentOrigin
	any  int32         // best carrying edge anywhere, or parentOrigin
}

// of returns the parent for a new edge in datacenter dc: an edge index or
// parentOrigin.
func (ps *parents) of(dc int32) int32 {
	if i := ps.byDC[dc]; i >= 0 {
		return i
	}
	return ps.any
}

// findParents applies the parent rule of stream st for every datacenter
// at once. An edge that starts the stream pulls it from an edge that
// carries it, is active and fresh at nowNs, feeds fewer than FanOut
// children (counting those the ledger started) and has room within
// Headroom for one more feed (counting the ledger's reservations): one in
// its own datacenter if any, then the shallowest, then the lowest ID.
// Without such an edge it pulls from the origin, whose own egress is not
// usher's to count; the next plan moves it under the tree when a parent
// has room. The edge at position skip
// of st.edges and the edges below it are never chosen (skip -1 skips none),
// so an edge that asks again cannot be put under its own subtree.
func (s *Snapshot) findParents(st *streamRow, l *Ledger, nowNs int64, skip int, out *parents) {
	var bestDepth [MaxDCs]int32
	for d := range s.dcs {
		out.byDC[d] = parentOrigin
	}
	out.any = parentOrigin
	anyDepth := int32(0)
	shards := 1.0
	var reserved []float64
	var started []start
	if l != nil {
		shards, reserved, started = l.shards, l.reserved, l.started[st]
	}
	fanOut := int32(s.dials.FanOut)
	b := st.origin.BitrateMbps
	for j, i := range st.edges {
		row := &s.rows[i]
		if !row.active || nowNs > row.freshUntil {
			continue
		}
		kids := st.kids[j]
		for _, sr := range started {
			if sr.parent == i {
				kids++
			}
		}
		if kids >= fanOut {
			continue
		}
		used := row.egress
		if reserved != nil {
			used += shards * reserved[i]
		}
		if used+shards*b > st.limit(row) {
			continue
		}
		if skip >= 0 && st.below(j, skip) {
			continue
		}
		dep := st.depth[j]
		if out.byDC[row.dc] < 0 || dep < bestDepth[row.dc] {
			out.byDC[row.dc], bestDepth[row.dc] = i, dep
		}
		if out.any < 0 || dep < anyDepth {
			out.any, anyDepth = i, dep
		}
	}
}

// below reports whether the edge at position j of st.edges is the one at
// position top or hangs under it.
func (st *streamRow) below(j, top int) bool {
	k := int32(j)
	for steps := 0; k >= 0 && steps <= len(st.edges); steps++ {
		if int(k) == top {
			return true
		}
		k = st.up[k]
	}
	return false
}

// Upstream says where edge edgeID should pull stream from when it starts
// carrying it outside the plan, which is what usher's parent endpoint
// answers. An edge this ledger started since Reset gets the parent that
// was charged for it when its first viewer was placed. Any other edge gets
// the parent rule's answer (see Choose), and unless that is the parent it
// already reports, the feed is charged to the parent and remembered, so
// the parent's room is not given away twice. ParentID is "" and URL the
// origin's for the origin.
func (l *Ledger) Upstream(stream, edgeID string) (Upstream, error) {
	s := l.s
	st := s.streams[stream]
	if st == nil {
		return Upstream{}, ErrUnknownStream
	}
	i, ok := s.byID[edgeID]
	if !ok {
		return Upstream{}, fmt.Errorf("%w: %q", ErrUnknownEdge, edgeID)
	}
	if k := startedAt(l.started[st], i); k >= 0 {
		return s.upstream(st, l.started[st][k].parent), nil
	}
	skip := -1
	current := parentNone
	if pos, ok := st.position(i); ok {
		skip = pos
		current = parentOrigin
		if up := st.up[pos]; up >= 0 {
			current = st.edges[up]
		} else if up == upUnknown {
			current = parentNone
		}
	}
	var ps parents
	s.findParents(st, l, unixNano(s.taken), skip, &ps)
	par := ps.of(s.rows[i].dc)
	if par != current {
		l.startUpstream(st, i, par, skip >= 0)
	}
	return s.upstream(st, par), nil
}

// Upstream is where an edge pulls a stream from.
type Upstream struct {
	// ParentID is the parent edge's ID, "" for the origin.
	ParentID string
	// URL is the parent edge's base URL or the origin URL.
	URL string
}

func (s *Snapshot) upstream(st *streamRow, par int32) Upstream {
	if par < 0 {
		return Upstream{URL: st.origin.URL}
	}
	e := &s.edges[par]
	return Upstream{ParentID: e.ID, URL: e.URL}
}
