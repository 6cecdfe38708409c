package placement

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// parentOf returns the ID of the parent the decision gives the pick on
// edge id ("" for the origin) and whether id is a non-carrying pick.
func parentOf(d Decision, id string) (string, bool) {
	for _, p := range d.Picks() {
		if p.Edge.ID != id || p.Carrying {
			continue
		}
		if p.Parent == nil {
			return "", true
		}
		return p.Parent.ID, true
	}
	return "", false
}

func TestChooseParentRule(t *testing.T) {
	wide := DefaultDials()
	wide.Candidates = MaxPicks
	fan1 := wide
	fan1.FanOut = 1
	stale := func(e Edge) Edge { e.LastSeen = t0.Add(-time.Minute); return e }
	draining := func(e Edge) Edge { e.State = EdgeDraining; return e }
	// root is in west under the origin, mid in east under root; the new
	// edges n-east, n-west and n-south carry nothing.
	tree := func(root, mid Edge) []Edge {
		return []Edge{
			carrying(root, "s", 10, ""),
			carrying(mid, "s", 10, "root"),
			edge("n-east", "east", 0),
			edge("n-west", "west", 0),
			edge("n-south", "south", 0),
		}
	}
	tests := []struct {
		name  string
		edges []Edge
		dials Dials
		want  map[string]string // new edge → parent ID, "" for the origin
	}{
		{
			name:  "own datacenter first, then the shallowest",
			edges: tree(edge("root", "west", 100), edge("mid", "east", 100)),
			dials: wide,
			want:  map[string]string{"n-east": "mid", "n-west": "root", "n-south": "root"},
		},
		{
			name:  "a parent without room for the feed is passed over",
			edges: tree(edge("root", "west", 899), edge("mid", "east", 100)),
			dials: wide,
			want:  map[string]string{"n-east": "mid", "n-west": "mid", "n-south": "mid"},
		},
		{
			name:  "no member with room: the origin",
			edges: tree(edge("root", "west", 899), edge("mid", "east", 898)),
			dials: wide,
			want:  map[string]string{"n-east": "", "n-west": "", "n-south": ""},
		},
		{
			name:  "a parent with FanOut children is passed over",
			edges: tree(edge("root", "west", 100), edge("mid", "east", 100)),
			dials: fan1,
			want:  map[string]string{"n-east": "mid", "n-west": "mid", "n-south": "mid"},
		},
		{
			name:  "stale and draining members feed no one",
			edges: tree(stale(edge("root", "west", 100)), draining(edge("mid", "east", 100))),
			dials: wide,
			want:  map[string]string{"n-east": "", "n-west": "", "n-south": ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, Input{Edges: tc.edges, Origins: origins(2.5, "s"), Dials: tc.dials})
			d := Choose(s, Request{Stream: "s"})
			for id, want := range tc.want {
				got, ok := parentOf(d, id)
				if !ok || got != want {
					t.Errorf("%s: parent %q (pick %v), want %q; picks %v", id, got, ok, want, ids(d))
				}
			}
		})
	}
}

func TestLedgerChargesParent(t *testing.T) {
	// root carries s and has room for viewers and feeds; n1 and n2 do not
	// carry it. Whatever puts a viewer on n1 must also charge root the
	// feed, once.
	in := func() Input {
		d := DefaultDials()
		d.Candidates = MaxPicks
		return Input{
			Edges:   []Edge{carrying(edge("root", "east", 100), "s", 40, ""), edge("n1", "east", 0), edge("n2", "east", 500)},
			Origins: origins(2.5, "s"),
			Dials:   d,
		}
	}
	tests := []struct {
		name string
		do   func(t *testing.T, l *Ledger)
		want map[string]float64 // reserved Mbps per edge
	}{
		{
			name: "a viewer sent to a second pick",
			do: func(t *testing.T, l *Ledger) {
				for range 2 {
					if !l.Reserve("n1", "s") {
						t.Fatal("Reserve refused")
					}
				}
			},
			want: map[string]float64{"root": 2.5, "n1": 5, "n2": 0},
		},
		{
			name: "the parent endpoint after a second pick answers the charged parent",
			do: func(t *testing.T, l *Ledger) {
				l.Reserve("n1", "s")
				up, err := l.Upstream("s", "n1")
				if err != nil || up.ParentID != "root" || up.URL != "https://root.example" {
					t.Errorf("Upstream = %+v, %v; want root", up, err)
				}
			},
			want: map[string]float64{"root": 2.5, "n1": 2.5},
		},
		{
			name: "an edge another usher sent viewers to asks twice",
			do: func(t *testing.T, l *Ledger) {
				for range 2 {
					if up, err := l.Upstream("s", "n2"); err != nil || up.ParentID != "root" {
						t.Errorf("Upstream = %+v, %v; want root", up, err)
					}
				}
			},
			want: map[string]float64{"root": 2.5, "n2": 0},
		},
		{
			name: "an edge already carrying the stream asks again and keeps its parent",
			do: func(t *testing.T, l *Ledger) {
				if up, err := l.Upstream("s", "root"); err != nil || up.ParentID != "" || up.URL != "https://ingest.example/s" {
					t.Errorf("Upstream = %+v, %v; want the origin", up, err)
				}
			},
			want: map[string]float64{"root": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLedger(mustSnapshot(t, in()), 1)
			tc.do(t, l)
			for id, want := range tc.want {
				if got := l.ReservedMbps(id); got != want {
					t.Errorf("%s reserved %v Mbps, want %v", id, got, want)
				}
			}
		})
	}
}

func TestUpstreamErrors(t *testing.T) {
	l := NewLedger(mustSnapshot(t, Input{Edges: []Edge{edge("a", "east", 0)}, Origins: origins(2.5, "s")}), 1)
	if _, err := l.Upstream("nope", "a"); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("unknown stream: %v", err)
	}
	if _, err := l.Upstream("s", "nope"); !errors.Is(err, ErrUnknownEdge) {
		t.Errorf("unknown edge: %v", err)
	}
	// An edge never put under its own subtree: a's only possible parent is
	// its child b, so it is told the origin.
	in := Input{
		Edges:   []Edge{carrying(edge("a", "east", 0), "s", 1, "b"), carrying(edge("b", "east", 0), "s", 1, "a")},
		Origins: origins(2.5, "s"),
	}
	l = NewLedger(mustSnapshot(t, in), 1)
	if up, err := l.Upstream("s", "a"); err != nil || up.ParentID != "" {
		t.Errorf("Upstream in a loop = %+v, %v; want the origin", up, err)
	}
}

// TestNeverPastHeadroom sends bursts of viewers of several streams through
// a ledger, with the parent endpoint asked for every edge that starts a
// stream, and checks that no edge's projected egress — its measured
// egress plus what the ledger reserved for viewers and for feeding child
// edges — ever passes Headroom × capacity, at full headroom too.
func TestNeverPastHeadroom(t *testing.T) {
	for _, headroom := range []float64{0.9, 1} {
		for seed := range uint64(4) {
			rng := rand.New(rand.NewPCG(seed, 9))
			d := DefaultDials()
			d.Headroom = headroom
			edges := grid(6, 0, "east", "west")
			for i := range edges {
				edges[i].EgressMbps = float64(rng.IntN(900))
				edges[i].CapacityMbps = 1000
			}
			names := []string{"a", "b", "c", "d"}
			// Some streams have a tree already: a root and a child.
			for k, name := range names[:2] {
				r, c := 2*k, 2*k+1
				edges[r] = carrying(edges[r], name, 20, "")
				edges[c] = carrying(edges[c], name, 20, edges[r].ID)
			}
			s := mustSnapshot(t, Input{Edges: edges, Origins: origins(6, names...), Dials: d})
			l := NewLedger(s, 1)
			for range 3000 {
				name := names[rng.IntN(len(names))]
				dec := l.Choose(Request{Stream: name, Region: "x"})
				if best, ok := dec.Best(); ok && !best.Carrying {
					if _, err := l.Upstream(name, best.Edge.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, e := range s.Edges() {
				if used, limit := e.EgressMbps+l.ReservedMbps(e.ID), headroom*e.CapacityMbps; used > limit+1e-9 {
					t.Errorf("headroom %v seed %d: edge %s projected at %v Mbps > %v", headroom, seed, e.ID, used, limit)
				}
			}
			if l.Count() == 0 {
				t.Errorf("headroom %v seed %d: nobody placed", headroom, seed)
			}
		}
	}
}

func TestSnapshotTreeIndex(t *testing.T) {
	// r ← m ← leaf, plus x under a parent that does not carry the stream
	// and a loop y ↔ z.
	edges := []Edge{
		carrying(edge("r", "east", 0), "s", 10, ""),
		carrying(edge("m", "east", 0), "s", 0, "r"),
		carrying(edge("leaf", "east", 0), "s", 4, "m"),
		carrying(edge("x", "east", 0), "s", 0, "gone"),
		carrying(edge("y", "east", 0), "s", 0, "z"),
		carrying(edge("z", "east", 0), "s", 0, "y"),
		edge("idle", "east", 700),
	}
	s := mustSnapshot(t, Input{Edges: edges, Origins: origins(2.5, "s")})
	st := s.streams["s"]
	want := map[string]struct {
		depth, kids int32
		egress      float64
	}{
		"r":    {1, 1, 10*2.5 + 2.5},
		"m":    {2, 1, 2.5},
		"leaf": {3, 0, 4 * 2.5},
		"x":    {2, 0, 0},
		"y":    {cycleDepth, 1, 2.5},
		"z":    {cycleDepth, 1, 2.5},
		"idle": {0, 0, 700},
	}
	for id, w := range want {
		e, _ := s.Edge(id)
		if math.Abs(e.EgressMbps-w.egress) > 1e-9 {
			t.Errorf("%s egress %v, want %v (viewers and feeds)", id, e.EgressMbps, w.egress)
		}
		pos, ok := st.position(s.byID[id])
		if !ok {
			if id != "idle" {
				t.Errorf("%s not indexed as carrying", id)
			}
			continue
		}
		if st.depth[pos] != w.depth || st.kids[pos] != w.kids {
			t.Errorf("%s depth %d kids %d, want %d %d", id, st.depth[pos], st.kids[pos], w.depth, w.kids)
		}
	}
}
