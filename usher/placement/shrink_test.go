package placement

import (
	"maps"
	"slices"
	"testing"
)

// member returns edge id in east carrying s with viewers under parent,
// whose other streams leave the given room for s within the 900 Mbps
// limit.
func member(id string, viewers int, parent string, room float64) Edge {
	return carrying(edge(id, "east", 900-room+2.5*float64(viewers)), "s", viewers, parent)
}

func TestPlanShrinkMovesFewViewers(t *testing.T) {
	tests := []struct {
		name        string
		edges       []Edge
		fanOut      int
		wantRemoved []string
		wantParent  map[string]string // kept edge → parent
	}{
		{
			// 165 viewers need two of the four 297.5 Mbps members with the
			// 25 % margin; the two with the fewest viewers go.
			name: "fewest viewers go first",
			edges: []Edge{
				member("m100", 100, "", 300), member("m60", 60, "", 300),
				member("m5", 5, "", 300), member("m0", 0, "", 300),
			},
			wantRemoved: []string{"m0", "m5"},
			wantParent:  map[string]string{"m100": "", "m60": ""},
		},
		{
			// r has one viewer but feeds c, which has the most: r stays
			// and q goes, so c keeps its feed and nobody is re-parented.
			name: "a parent stays while its child stays",
			edges: []Edge{
				member("r", 1, "", 300), member("c", 100, "r", 300), member("q", 50, "", 300),
			},
			wantRemoved: []string{"q"},
			wantParent:  map[string]string{"r": "", "c": "r"},
		},
		{
			// All three are needed, r's room is taken by its own viewers
			// and others' load, yet c stays under it: the feed is paid.
			name: "a current link needs no room",
			edges: []Edge{
				member("r", 118, "", 297.5), member("c", 110, "r", 300), member("d", 110, "", 300),
			},
			wantParent: map[string]string{"r": "", "c": "r", "d": ""},
		},
		{
			// Three full members pull from the origin with OriginFanOut 1
			// and no member can feed another: they stay on the origin
			// rather than move their viewers.
			name: "full members keep their origin links past the fan-out",
			edges: []Edge{
				member("o1", 120, "", 300), member("o2", 120, "", 300), member("o3", 120, "", 300),
			},
			fanOut:     1,
			wantParent: map[string]string{"o1": "", "o2": "", "o3": ""},
		},
		{
			// With room to feed, extra origin links move under a member.
			name: "origin links past the fan-out move under a member with room",
			edges: []Edge{
				member("o1", 10, "", 300), member("o2", 101, "", 300), member("o3", 100, "", 300),
			},
			fanOut:     1,
			wantParent: map[string]string{"o2": "", "o1": "o2", "o3": "o2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			viewers := 0
			for _, e := range tc.edges {
				viewers += e.Streams["s"].Viewers
			}
			d := DefaultDials()
			if tc.fanOut > 0 {
				d.OriginFanOut = tc.fanOut
			}
			s := mustSnapshot(t, Input{Edges: tc.edges, Origins: origins(2.5, "s"), Demand: map[string]Demand{"s": {Viewers: viewers}}, Dials: d})
			p := mustPlan(t, s, "s", t0)
			removed := slices.Sorted(maps.Keys(changesOf(p, ChangeRemove)))
			if !slices.Equal(removed, tc.wantRemoved) {
				t.Errorf("removed %v, want %v", removed, tc.wantRemoved)
			}
			got := map[string]string{}
			for _, n := range p.Nodes {
				got[n.EdgeID] = n.Parent
			}
			if !maps.Equal(got, tc.wantParent) {
				t.Errorf("tree %v, want %v", got, tc.wantParent)
			}
		})
	}
}

func TestPlanParentKeepsRoomForItsViewers(t *testing.T) {
	// p's 160 viewers and 500 Mbps of other streams fill it to its 900
	// Mbps limit. The stream grows, so the plan adds an edge; p cannot
	// feed it without passing its limit, so it pulls from the origin.
	edges := []Edge{
		carrying(edge("p", "east", 500+160*2.5), "s", 160, ""),
		edge("n", "east", 0),
	}
	s := mustSnapshot(t, Input{Edges: edges, Origins: origins(2.5, "s"), Demand: map[string]Demand{"s": {Viewers: 160, Velocity: 20}}})
	p := mustPlan(t, s, "s", t0)
	for _, n := range p.Nodes {
		if n.EdgeID == "n" && n.Parent != "" {
			t.Errorf("n hangs under %q, whose viewers fill it", n.Parent)
		}
		if n.EdgeID == "p" && n.ViewerMbps < 160*2.5 {
			t.Errorf("p keeps %v Mbps for its %v Mbps of viewers", n.ViewerMbps, 160*2.5)
		}
	}
	if len(p.Nodes) != 2 {
		t.Errorf("nodes %v, want p and n", nodeIDs(p))
	}
}

func TestPlanAllBooksViewersWhereTheyAre(t *testing.T) {
	// Stream a's 359 viewers all sit on x, which also feeds y: x is full.
	// a's tree holds y with room too, but b, planned after a, must not
	// count on x's room as if a's viewers were spread over the tree: x
	// cannot feed anyone new.
	d := DefaultDials()
	d.FanOut = 1
	edges := []Edge{
		carrying(edge("x", "east", 359*2.5+2.5), "a", 359, ""),
		carrying(carrying(edge("y", "east", 150*2.5), "a", 0, "x"), "b", 150, ""),
		edge("z", "east", 880),
	}
	s := mustSnapshot(t, Input{
		Edges:   edges,
		Origins: origins(2.5, "a", "b"),
		Demand:  map[string]Demand{"a": {Viewers: 359}, "b": {Viewers: 150, Velocity: 100}},
		Dials:   d,
	})
	feeds := map[string]float64{}
	for _, p := range PlanAll(s, t0) {
		checkTree(t, s, p, t0)
		for _, c := range p.Changes {
			if c.Kind != ChangeRemove && c.To != "" {
				feeds[c.To] += p.BitrateMbps
			}
		}
	}
	for id, mbps := range feeds {
		if e, _ := s.Edge(id); e.EgressMbps+mbps > 900 {
			t.Errorf("%s at %v Mbps gets %v Mbps of new feeds, past its 900 Mbps limit", id, e.EgressMbps, mbps)
		}
	}
}
