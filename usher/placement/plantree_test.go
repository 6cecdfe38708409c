package placement

import (
	"math"
	"testing"
	"time"
)

// checkTree verifies the structural invariants every plan must hold.
func checkTree(t *testing.T, s *Snapshot, p TreePlan, now time.Time) {
	t.Helper()
	d := s.Dials()
	depth := map[string]int{"": 0}
	kids := map[string]int{}
	capacity := 0.0
	for _, n := range p.Nodes {
		if _, dup := depth[n.EdgeID]; dup {
			t.Fatalf("edge %s appears twice", n.EdgeID)
		}
		pd, ok := depth[n.Parent]
		if !ok {
			t.Fatalf("edge %s listed before its parent %q", n.EdgeID, n.Parent)
		}
		if n.Depth != pd+1 {
			t.Errorf("edge %s depth %d, parent depth %d", n.EdgeID, n.Depth, pd)
		}
		depth[n.EdgeID] = n.Depth
		kids[n.Parent]++
		e, ok := s.Edge(n.EdgeID)
		if !ok || e.State != EdgeActive || now.Sub(e.LastSeen) > d.StaleAfter {
			t.Errorf("edge %s is not live", n.EdgeID)
		}
		if n.ViewerMbps < -1e-9 {
			t.Errorf("edge %s feeds more children than its room allows: viewer room %v", n.EdgeID, n.ViewerMbps)
		}
		capacity += n.ViewerMbps
	}
	for _, n := range p.Nodes {
		if kids[n.EdgeID] != n.Children {
			t.Errorf("edge %s reports %d children, has %d", n.EdgeID, n.Children, kids[n.EdgeID])
		}
		if n.Children > d.FanOut {
			t.Errorf("edge %s has %d children > FanOut %d", n.EdgeID, n.Children, d.FanOut)
		}
	}
	// Past OriginFanOut, the plan may only keep edges that pull from the
	// origin already.
	if kids[""] > d.OriginFanOut {
		for _, c := range p.Changes {
			if c.Kind != ChangeRemove && c.To == "" {
				t.Errorf("origin has %d children > OriginFanOut %d, and %s is new to it", kids[""], d.OriginFanOut, c.EdgeID)
			}
		}
	}
	if math.Abs(capacity-p.CapacityMbps) > 1e-6 {
		t.Errorf("CapacityMbps = %v, nodes sum to %v", p.CapacityMbps, capacity)
	}
	if want := math.Max(0, p.DemandMbps-p.CapacityMbps); math.Abs(p.ShortfallMbps-want) > 1e-6 {
		t.Errorf("ShortfallMbps = %v, want %v", p.ShortfallMbps, want)
	}
}

// applyPlan returns edges (which must not carry the stream) as they would
// report once plan is in place and viewers are spread over its nodes in
// proportion to their room.
func applyPlan(edges []Edge, p TreePlan, viewers int) []Edge {
	out := make([]Edge, len(edges))
	copy(out, edges)
	index := map[string]int{}
	for i, e := range out {
		index[e.ID] = i
	}
	left := viewers
	for k, n := range p.Nodes {
		v := 0
		if p.CapacityMbps > 0 {
			v = int(float64(viewers) * n.ViewerMbps / p.CapacityMbps)
		}
		if k == len(p.Nodes)-1 {
			v = left
		}
		v = min(v, left)
		left -= v
		i := index[n.EdgeID]
		out[i] = carrying(out[i], p.Stream, v, n.Parent)
		out[i].EgressMbps += float64(v+n.Children) * p.BitrateMbps
	}
	return out
}

func changesOf(p TreePlan, kind ChangeKind) map[string]Change {
	m := map[string]Change{}
	for _, c := range p.Changes {
		if c.Kind == kind {
			m[c.EdgeID] = c
		}
	}
	return m
}

func mustPlan(t *testing.T, s *Snapshot, stream string, now time.Time) TreePlan {
	t.Helper()
	p, err := Plan(s, stream, now)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	checkTree(t, s, p, now)
	return p
}
