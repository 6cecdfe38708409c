package placement

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestPlanFanOutBound(t *testing.T) {
	for _, fan := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("fan-out %d", fan), func(t *testing.T) {
			d := DefaultDials()
			d.FanOut, d.OriginFanOut = fan, fan
			s := mustSnapshot(t, Input{
				Edges:   grid(30, 0, "east", "west"),
				Origins: origins(2.5, "s"),
				Demand:  map[string]Demand{"s": {Viewers: 30000}}, // 75 Gbps: more than the fleet
				Dials:   d,
			})
			p := mustPlan(t, s, "s", t0)
			if len(p.Nodes) != 60 {
				t.Errorf("planned %d edges, want all 60", len(p.Nodes))
			}
			if got := changesOf(p, ChangeAdd); len(got) != 60 {
				t.Errorf("%d additions, want 60", len(got))
			}
		})
	}
}

func TestPlanParentCapacity(t *testing.T) {
	// Each edge has 20 Mbps of room left: it can feed at most three 6 Mbps
	// children even though FanOut allows four, and a feeding edge keeps
	// less room for viewers.
	s := mustSnapshot(t, Input{
		Edges:   grid(40, 880, "east"),
		Origins: origins(6, "s"),
		Demand:  map[string]Demand{"s": {Viewers: 60}}, // 360 Mbps
	})
	p := mustPlan(t, s, "s", t0)
	feeding := 0
	for _, n := range p.Nodes {
		if n.Children > 3 {
			t.Errorf("edge %s feeds %d children with room for 3", n.EdgeID, n.Children)
		}
		if want := 20 - float64(n.Children)*6; math.Abs(n.ViewerMbps-want) > 1e-9 {
			t.Errorf("edge %s viewer room %v, want %v", n.EdgeID, n.ViewerMbps, want)
		}
		if n.Children > 0 {
			feeding++
		}
	}
	if feeding == 0 || p.ShortfallMbps != 0 {
		t.Errorf("feeding edges %d, shortfall %v", feeding, p.ShortfallMbps)
	}
}

func TestPlanReparent(t *testing.T) {
	// Current tree: origin → A → {B, C}. Other streams keep B and C busy, so
	// both stay needed. When A goes away, B and C must hang elsewhere.
	base := func() []Edge {
		return []Edge{
			carrying(edge("A", "east", 600+5+2.5*50), "s", 50, ""),
			carrying(edge("B", "east", 600+2.5*100), "s", 100, "A"),
			carrying(edge("C", "east", 600+2.5*100), "s", 100, "A"),
		}
	}
	tests := []struct {
		name      string
		edges     func() []Edge
		wantRemA  bool
		wantNodes int
	}{
		{"parent missing from snapshot", func() []Edge { return base()[1:] }, false, 2},
		{"parent stale", func() []Edge { e := base(); e[0].LastSeen = t0.Add(-10 * time.Second); return e }, true, 2},
		{"parent draining", func() []Edge { e := base(); e[0].State = EdgeDraining; return e }, true, 2},
		{"parent healthy", base, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, Input{Edges: tc.edges(), Origins: origins(2.5, "s"), Demand: map[string]Demand{"s": {Viewers: 250}}})
			p := mustPlan(t, s, "s", t0)
			if len(p.Nodes) != tc.wantNodes {
				t.Fatalf("nodes = %+v, want %d", p.Nodes, tc.wantNodes)
			}
			rem, rep := changesOf(p, ChangeRemove), changesOf(p, ChangeReparent)
			if _, ok := rem["A"]; ok != tc.wantRemA {
				t.Errorf("removal of A = %v, want %v (changes %+v)", ok, tc.wantRemA, p.Changes)
			}
			for _, n := range p.Nodes {
				healthy := tc.wantNodes == 3
				if !healthy && n.Parent == "A" {
					t.Errorf("edge %s still hangs under A", n.EdgeID)
				}
				if c, ok := rep[n.EdgeID]; !healthy && (!ok || c.From != "A" || c.To != n.Parent) {
					t.Errorf("edge %s: reparent change %+v, want A → %q", n.EdgeID, c, n.Parent)
				}
			}
			if tc.wantNodes == 3 && len(p.Changes) != 0 {
				t.Errorf("healthy tree changed: %+v", p.Changes)
			}
		})
	}
}

func TestPlanIsStable(t *testing.T) {
	// Replanning a tree that is in place, with the same demand, changes
	// nothing.
	edges := grid(10, 300, "east", "west")
	demand := map[string]Demand{"s": {Viewers: 3000, ByRegion: map[string]int{"us-east": 2000, "us-west": 1000}}}
	in := Input{Edges: edges, Origins: origins(2.5, "s"), Demand: demand, Latency: usLatency}
	p0 := mustPlan(t, mustSnapshot(t, in), "s", t0)
	in.Edges = applyPlan(edges, p0, 3000)
	p1 := mustPlan(t, mustSnapshot(t, in), "s", t0)
	if len(p1.Changes) != 0 {
		t.Errorf("replan changed %+v", p1.Changes)
	}
	if !reflect.DeepEqual(nodeIDs(p0), nodeIDs(p1)) {
		t.Errorf("nodes moved: %v → %v", nodeIDs(p0), nodeIDs(p1))
	}
}

func TestPlanVelocitySpike(t *testing.T) {
	t1 := t0.Add(time.Second)
	edges := grid(20, 100, "east", "west", "central")
	in := Input{Edges: edges, Origins: origins(2.5, "s"), Demand: map[string]Demand{"s": {Viewers: 1000}}}
	p0 := mustPlan(t, mustSnapshot(t, in), "s", t0)

	// One second later 2,000 more viewers arrived and they keep coming at
	// 2,000/s: the plan must already hold the viewers expected at the
	// horizon, 3,000 + 2,000 × 5 s.
	in.Edges = applyPlan(edges, p0, 1000)
	for i := range in.Edges {
		in.Edges[i].LastSeen = t1
	}
	in.Demand = map[string]Demand{"s": {Viewers: 3000, Velocity: 2000}}
	in.Taken = t1
	s1 := mustSnapshot(t, in)
	p1 := mustPlan(t, s1, "s", t1)
	want := (3000 + 2000*5) * 2.5
	if p1.DemandMbps != want || p1.CapacityMbps < want || p1.ShortfallMbps != 0 {
		t.Errorf("demand %v, capacity %v, shortfall %v; want capacity >= %v", p1.DemandMbps, p1.CapacityMbps, p1.ShortfallMbps, want)
	}
	if len(changesOf(p1, ChangeRemove)) != 0 || len(changesOf(p1, ChangeReparent)) != 0 {
		t.Errorf("growth disturbed the existing tree: %+v", p1.Changes)
	}
	if got := len(changesOf(p1, ChangeAdd)); got != len(p1.Nodes)-len(p0.Nodes) || got == 0 {
		t.Errorf("%d additions for %d → %d nodes", got, len(p0.Nodes), len(p1.Nodes))
	}
}

func TestPlanOverflow(t *testing.T) {
	// 100,000 viewers at 2.5 Mbps need 250 Gbps; 200 edges give 180 Gbps
	// minus the relay links. The plan takes every edge and reports the rest.
	s := mustSnapshot(t, Input{
		Edges:   grid(40, 0, "a", "b", "c", "d", "e"),
		Origins: origins(2.5, "huge"),
		Demand:  map[string]Demand{"huge": {Viewers: 100000}},
	})
	p := mustPlan(t, s, "huge", t0)
	if len(p.Nodes) != 200 {
		t.Fatalf("planned %d edges, want 200", len(p.Nodes))
	}
	wantCap := 200*900 - float64(200-s.Dials().OriginFanOut)*2.5
	if math.Abs(p.CapacityMbps-wantCap) > 1e-6 {
		t.Errorf("capacity = %v, want %v", p.CapacityMbps, wantCap)
	}
	if want := (250000 - wantCap) / 250000; math.Abs(p.OverflowShare-want) > 1e-9 {
		t.Errorf("overflow share = %v, want %v", p.OverflowShare, want)
	}
}

func TestPlanShrinkHysteresis(t *testing.T) {
	// Three edges with 300 Mbps of room each carry the stream: x1 under the
	// origin, x2 and x3 under x1. Two spare edges exist.
	tree := func(viewers int) []Edge {
		per := viewers / 3
		return []Edge{
			carrying(edge("x1", "east", 600+2.5*float64(per+2)), "s", per, ""),
			carrying(edge("x2", "east", 600+2.5*float64(per)), "s", per, "x1"),
			carrying(edge("x3", "east", 600+2.5*float64(per)), "s", per, "x1"),
			edge("y1", "east", 600),
			edge("y2", "east", 600),
		}
	}
	tests := []struct {
		name        string
		viewers     int
		wantNodes   int
		wantRemoved int
	}{
		{"steady demand keeps the tree", 330, 3, 0},
		{"dip within margin keeps every edge", 222, 3, 0},
		{"large drop releases an edge", 99, 2, 1},
		{"no viewers releases all", 0, 0, 3},
		{"growth adds an edge", 420, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, Input{Edges: tree(tc.viewers), Origins: origins(2.5, "s"), Demand: map[string]Demand{"s": {Viewers: tc.viewers}}})
			p := mustPlan(t, s, "s", t0)
			if len(p.Nodes) != tc.wantNodes || len(changesOf(p, ChangeRemove)) != tc.wantRemoved {
				t.Errorf("nodes %v, changes %+v; want %d nodes, %d removed", nodeIDs(p), p.Changes, tc.wantNodes, tc.wantRemoved)
			}
			if p.ShortfallMbps != 0 {
				t.Errorf("shortfall %v", p.ShortfallMbps)
			}
		})
	}
}

func TestPlanDCSpread(t *testing.T) {
	lat := map[string]map[string]float64{
		"eu": {"fra": 10, "iad": 90},
		"us": {"fra": 90, "iad": 10},
	}
	s := mustSnapshot(t, Input{
		Edges:   grid(40, 0, "fra", "iad"),
		Origins: origins(2.5, "s"),
		Demand:  map[string]Demand{"s": {Viewers: 4000, ByRegion: map[string]int{"eu": 3000, "us": 1000}}},
		Latency: lat,
	})
	p := mustPlan(t, s, "s", t0)
	per := map[string]int{}
	for _, n := range p.Nodes {
		per[n.DC]++
	}
	// 7,500 Mbps of European demand needs 9 Frankfurt edges, 2,500 Mbps of
	// American demand 3 in Ashburn.
	if per["fra"] != 9 || per["iad"] != 3 {
		t.Errorf("edges per DC = %v, want fra 9, iad 3", per)
	}
	// Inter-DC links are few: every Ashburn edge but its head hangs under
	// an Ashburn parent.
	dcOf := map[string]string{"": ""}
	cross := 0
	for _, n := range p.Nodes {
		dcOf[n.EdgeID] = n.DC
		if n.Parent != "" && dcOf[n.Parent] != n.DC {
			cross++
		}
	}
	if cross != 0 {
		t.Errorf("%d cross-DC links; each DC head should pull from the origin", cross)
	}
}

func TestPlanUnknownStream(t *testing.T) {
	s := mustSnapshot(t, Input{Edges: grid(1, 0, "east")})
	if _, err := Plan(s, "nope", t0); !errors.Is(err, ErrUnknownStream) {
		t.Fatalf("err = %v", err)
	}
}

func TestPlanAllSharesTheFleet(t *testing.T) {
	// Two streams of 1,000 Mbps each on a fleet with 1,800 Mbps of room:
	// planned alone each fits, planned together they fall short by 200 Mbps
	// plus the 2.5 Mbps each stream spends feeding the second edge from the
	// first.
	in := Input{
		Edges:   grid(2, 0, "east"),
		Origins: origins(2.5, "a", "b"),
		Demand:  map[string]Demand{"a": {Viewers: 400}, "b": {Viewers: 400}},
	}
	s := mustSnapshot(t, in)
	for _, name := range []string{"a", "b"} {
		if p := mustPlan(t, s, name, t0); p.ShortfallMbps != 0 {
			t.Errorf("%s alone: shortfall %v", name, p.ShortfallMbps)
		}
	}
	plans := PlanAll(s, t0)
	if len(plans) != 2 || plans[0].Stream != "a" || plans[1].Stream != "b" {
		t.Fatalf("plans not one per stream in name order: %+v", plans)
	}
	short := plans[0].ShortfallMbps + plans[1].ShortfallMbps
	if math.Abs(short-205) > 1e-6 {
		t.Errorf("total shortfall %v, want 205", short)
	}
}

func TestPlanAllRealisticFleet(t *testing.T) {
	f := newFleet(t, fleetSpec{edges: 200, dcs: 5, streams: 2000, seed: 1})
	plans := PlanAll(f.snap, f.now)
	used := make(map[string]float64)
	for _, p := range plans {
		checkTree(t, f.snap, p, f.now)
		fill := 0.0
		if p.CapacityMbps > 0 {
			fill = math.Min(1, p.DemandMbps/p.CapacityMbps)
		}
		for _, n := range p.Nodes {
			used[n.EdgeID] += float64(n.Children)*p.BitrateMbps + n.ViewerMbps*fill
		}
	}
	for id, u := range used {
		e, _ := f.snap.Edge(id)
		if lim := e.CapacityMbps * f.snap.Dials().Headroom; u > lim+1e-6 {
			t.Errorf("edge %s planned at %v Mbps > limit %v", id, u, lim)
		}
	}
	again := PlanAll(f.snap, f.now)
	if !reflect.DeepEqual(plans, again) {
		t.Error("PlanAll is not deterministic")
	}
}

func TestPlanDeterministicUnderInputOrder(t *testing.T) {
	f := newFleet(t, fleetSpec{edges: 60, dcs: 3, streams: 50, seed: 2})
	in := f.input
	in.Edges = slices.Clone(in.Edges)
	slices.Reverse(in.Edges)
	rev := mustSnapshot(t, in)
	for _, name := range f.snap.Streams()[:10] {
		a := mustPlan(t, f.snap, name, f.now)
		b := mustPlan(t, rev, name, f.now)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: plan depends on edge input order", name)
		}
	}
}

func nodeIDs(p TreePlan) []string {
	var out []string
	for _, n := range p.Nodes {
		out = append(out, n.EdgeID+"<"+n.Parent)
	}
	return out
}
