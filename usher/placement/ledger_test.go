package placement

import "testing"

func TestLedger(t *testing.T) {
	half := DefaultDials()
	half.Headroom = 0.5 // limit 500 Mbps per edge

	tests := []struct {
		name     string
		edges    []Edge
		shards   int
		requests int
		want     map[string]int // viewers admitted per edge
		overflow int
	}{
		{
			name:     "burst between refreshes never overfills",
			edges:    []Edge{edge("a", "east", 475), edge("b", "east", 487.5)}, // room for 10 and 5
			shards:   1,
			requests: 30,
			want:     map[string]int{"a": 10, "b": 5},
			overflow: 15,
		},
		{
			name:     "a shard claims only its share of the room",
			edges:    []Edge{edge("a", "east", 475)}, // room for 10
			shards:   2,
			requests: 8,
			want:     map[string]int{"a": 5},
			overflow: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, Input{Edges: tc.edges, Origins: origins(2.5, "s"), Dials: half})
			l := NewLedger(s, tc.shards)
			got := map[string]int{}
			overflow := 0
			for range tc.requests {
				d := l.Choose(Request{Stream: "s"})
				if best, ok := d.Best(); ok {
					got[best.Edge.ID]++
				} else if d.Overflow {
					overflow++
				}
			}
			for id, n := range tc.want {
				if got[id] != n {
					t.Errorf("edge %s admitted %d, want %d (all: %v)", id, got[id], n, got)
				}
				if r := l.ReservedMbps(id); r != float64(n)*2.5 {
					t.Errorf("edge %s reserved %v Mbps, want %v", id, r, float64(n)*2.5)
				}
			}
			if overflow != tc.overflow {
				t.Errorf("overflow = %d, want %d", overflow, tc.overflow)
			}
			if l.Count() != tc.requests-tc.overflow {
				t.Errorf("Count = %d, want %d", l.Count(), tc.requests-tc.overflow)
			}
		})
	}
}

func TestLedgerNewUpstreamBecomesCarrying(t *testing.T) {
	// Two equal empty edges: the first viewer opens an upstream on one of
	// them, and later viewers of the burst must join it instead of opening
	// a second upstream on the other.
	s := mustSnapshot(t, Input{Edges: []Edge{edge("a", "east", 0), edge("b", "east", 0)}, Origins: origins(2.5, "s")})
	l := NewLedger(s, 1)
	first := l.Choose(Request{Stream: "s"})
	if first.Reason != ReasonNewUpstream {
		t.Fatalf("first reason = %v", first.Reason)
	}
	for k := range 20 {
		d := l.Choose(Request{Stream: "s"})
		if d.Reason != ReasonCarrying || d.picks[0].Edge != first.picks[0].Edge {
			t.Fatalf("viewer %d: %v %v, want carrying on %s", k, d.Reason, ids(d), first.picks[0].Edge.ID)
		}
	}
	// A stateless Choose knows nothing of the ledger.
	if d := Choose(s, Request{Stream: "s"}); d.Reason != ReasonNewUpstream {
		t.Errorf("stateless reason = %v", d.Reason)
	}
}

func TestLedgerResetAndReserve(t *testing.T) {
	s := mustSnapshot(t, Input{Edges: []Edge{edge("a", "east", 0)}, Origins: origins(4, "s")})
	l := NewLedger(s, 0)
	for range 2 {
		if !l.Reserve("a", "s") {
			t.Fatal("Reserve refused a known edge and stream")
		}
	}
	if l.Reserve("zz", "s") || l.Reserve("a", "zz") {
		t.Error("Reserve accepted an unknown edge or stream")
	}
	if got := l.ReservedMbps("a"); got != 8 {
		t.Errorf("reserved = %v, want 8", got)
	}
	s2 := mustSnapshot(t, Input{Edges: []Edge{edge("a", "east", 8)}, Origins: origins(4, "s")})
	l.Reset(s2)
	if l.ReservedMbps("a") != 0 || l.Count() != 0 || l.Snapshot() != s2 {
		t.Error("Reset kept state")
	}
	if d := l.Choose(Request{Stream: "s"}); d.Reason != ReasonNewUpstream {
		t.Errorf("after Reset reason = %v, want new-upstream", d.Reason)
	}
}
