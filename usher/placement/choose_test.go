package placement

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// usLatency is a two-region, two-DC latency matrix.
var usLatency = map[string]map[string]float64{
	"us-east": {"east": 10, "west": 70},
	"us-west": {"east": 70, "west": 10},
}

func TestChoose(t *testing.T) {
	dials := DefaultDials()
	dials.OverflowURL = "https://overflow.example/live/{stream}/{path}"
	halfHeadroom := DefaultDials()
	halfHeadroom.Headroom = 0.5
	costly := DefaultDials()
	costly.DCCost = map[string]float64{"west": 2}

	tests := []struct {
		name         string
		in           Input
		req          Request
		wantBest     string // "" when no pick is expected
		wantReason   Reason
		wantOverflow string
	}{
		{
			name:       "nearest DC wins for a new stream",
			in:         Input{Edges: []Edge{edge("e1", "east", 0), edge("w1", "west", 0)}, Latency: usLatency},
			req:        Request{Stream: "s", Region: "us-west"},
			wantBest:   "w1",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "latency outweighs moderate load",
			in:         Input{Edges: []Edge{edge("e1", "east", 0), edge("w1", "west", 300)}, Latency: usLatency},
			req:        Request{Stream: "s", Region: "us-west"},
			wantBest:   "w1",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "less loaded edge wins within a DC",
			in:         Input{Edges: []Edge{edge("a", "east", 400), edge("b", "east", 100), edge("c", "east", 250)}},
			req:        Request{Stream: "s"},
			wantBest:   "b",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "DC cost steers away from expensive DC",
			in:         Input{Edges: []Edge{edge("e1", "east", 0), edge("w1", "west", 0)}, Dials: costly},
			req:        Request{Stream: "s", ASN: 64500},
			wantBest:   "e1",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "ISP peering makes its DC free",
			in: Input{Edges: []Edge{edge("e1", "east", 100), edge("w1", "west", 0)}, Dials: costly,
				Peering: map[uint32][]string{64500: {"west"}}},
			req:        Request{Stream: "s", ASN: 64500},
			wantBest:   "w1",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "arrival DC bonus breaks an otherwise even choice",
			in:         Input{Edges: []Edge{edge("e1", "east", 0), edge("w1", "west", 0)}},
			req:        Request{Stream: "s", ArrivalDC: "west"},
			wantBest:   "w1",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "edge carrying the stream beats a nearer empty one",
			in: Input{Edges: []Edge{carrying(edge("e1", "east", 500), "s", 10, ""), edge("w1", "west", 0)},
				Latency: usLatency},
			req:        Request{Stream: "s", Region: "us-west"},
			wantBest:   "e1",
			wantReason: ReasonCarrying,
		},
		{
			name: "full carrying edge spills to a new upstream",
			in: Input{Edges: []Edge{carrying(edge("e1", "east", 899), "s", 10, ""), edge("w1", "west", 0)},
				Latency: usLatency},
			req:        Request{Stream: "s", Region: "us-east"},
			wantBest:   "w1",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "headroom allows filling exactly to the limit",
			in:         Input{Edges: []Edge{edge("a", "east", 497.5)}, Dials: halfHeadroom},
			req:        Request{Stream: "s"},
			wantBest:   "a",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "headroom refuses to pass the limit",
			in:         Input{Edges: []Edge{edge("a", "east", 497.75)}, Dials: halfHeadroom},
			req:        Request{Stream: "s"},
			wantReason: ReasonNoRoom,
		},
		{
			name:         "overflow URL when every edge is full",
			in:           Input{Edges: []Edge{edge("a", "east", 899), edge("b", "west", 950)}, Dials: dials},
			req:          Request{Stream: "big stream", Path: "/index.m3u8"},
			wantReason:   ReasonNoRoom,
			wantOverflow: "https://overflow.example/live/big%20stream/index.m3u8",
		},
		{
			name: "draining edge gets no viewers",
			in: Input{Edges: []Edge{
				func() Edge { e := carrying(edge("a", "east", 0), "s", 5, ""); e.State = EdgeDraining; return e }(),
				edge("b", "east", 600),
			}},
			req:        Request{Stream: "s"},
			wantBest:   "b",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "edge silent for more than 3 s is skipped",
			in: Input{Edges: []Edge{
				func() Edge { e := edge("a", "east", 0); e.LastSeen = t0.Add(-3001 * time.Millisecond); return e }(),
				edge("b", "east", 600),
			}},
			req:        Request{Stream: "s"},
			wantBest:   "b",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "edge seen exactly 3 s ago is still used",
			in: Input{Edges: []Edge{
				func() Edge { e := edge("a", "east", 0); e.LastSeen = t0.Add(-3 * time.Second); return e }(),
				edge("b", "east", 600),
			}},
			req:        Request{Stream: "s"},
			wantBest:   "a",
			wantReason: ReasonNewUpstream,
		},
		{
			name:       "request time overrides snapshot time for staleness",
			in:         Input{Edges: []Edge{edge("a", "east", 0), func() Edge { e := edge("b", "east", 600); e.LastSeen = t0.Add(2 * time.Second); return e }()}},
			req:        Request{Stream: "s", Now: t0.Add(4 * time.Second)},
			wantBest:   "b",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "edge never seen is stale",
			in: Input{Edges: []Edge{
				func() Edge { e := edge("a", "east", 0); e.LastSeen = time.Time{}; return e }(),
				edge("b", "east", 600),
			}},
			req:        Request{Stream: "s"},
			wantBest:   "b",
			wantReason: ReasonNewUpstream,
		},
		{
			name: "no live edge at all",
			in: Input{Edges: []Edge{
				func() Edge { e := edge("a", "east", 0); e.LastSeen = t0.Add(-time.Minute); return e }(),
			}},
			req:        Request{Stream: "s"},
			wantReason: ReasonNoEdges,
		},
		{
			name:       "unknown stream",
			in:         Input{Edges: []Edge{edge("a", "east", 0)}},
			req:        Request{Stream: "nope"},
			wantReason: ReasonUnknownStream,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.Origins == nil {
				tc.in.Origins = origins(2.5, "s", "big stream")
			}
			s := mustSnapshot(t, tc.in)
			d := Choose(s, tc.req)
			if d.Reason != tc.wantReason {
				t.Errorf("reason = %v, want %v", d.Reason, tc.wantReason)
			}
			best, ok := d.Best()
			switch {
			case tc.wantBest == "" && ok:
				t.Errorf("best = %s, want none", best.Edge.ID)
			case tc.wantBest != "" && (!ok || best.Edge.ID != tc.wantBest):
				t.Errorf("picks = %v, want best %s", ids(d), tc.wantBest)
			}
			wantOverflow := tc.wantBest == "" && tc.wantReason != ReasonUnknownStream
			if d.Overflow != wantOverflow || d.OverflowURL != tc.wantOverflow {
				t.Errorf("overflow = %v %q, want %v %q", d.Overflow, d.OverflowURL, wantOverflow, tc.wantOverflow)
			}
		})
	}
}

func TestChooseRanking(t *testing.T) {
	edges := []Edge{
		carrying(edge("c1", "east", 300), "s", 3, ""),
		carrying(edge("c2", "east", 100), "s", 3, ""),
		edge("n1", "east", 0),
		edge("n2", "east", 50),
		edge("n3", "east", 20),
	}
	s := mustSnapshot(t, Input{Edges: edges, Origins: origins(2.5, "s")})
	d := Choose(s, Request{Stream: "s"})
	// Carrying edges first by load, then the least loaded others, cut at
	// Candidates (3).
	if got, want := ids(d), []string{"c2", "c1", "n1"}; !slices.Equal(got, want) {
		t.Fatalf("picks = %v, want %v", got, want)
	}
	if p := d.Picks(); !p[0].Carrying || !p[1].Carrying || p[2].Carrying {
		t.Errorf("carrying flags wrong: %+v", p)
	}
}

func TestChooseTies(t *testing.T) {
	edges := []Edge{edge("a", "east", 100), edge("b", "east", 100)}
	var names []string
	for k := range 200 {
		names = append(names, fmt.Sprintf("stream-%d", k))
	}
	in := Input{Edges: edges, Origins: origins(2.5, names...)}
	s := mustSnapshot(t, in)
	in.Edges = []Edge{edges[1], edges[0]}
	reversed := mustSnapshot(t, in)

	count := map[string]int{}
	for _, n := range names {
		d1, d2, d3 := Choose(s, Request{Stream: n}), Choose(s, Request{Stream: n}), Choose(reversed, Request{Stream: n})
		if !slices.Equal(ids(d1), ids(d2)) || !slices.Equal(ids(d1), ids(d3)) {
			t.Fatalf("%s: unstable tie: %v %v %v", n, ids(d1), ids(d2), ids(d3))
		}
		count[ids(d1)[0]]++
	}
	// Equal edges share the streams; 200 fair coin flips stay within 60..140.
	if count["a"] < 60 || count["b"] < 60 {
		t.Errorf("ties not spread: %v", count)
	}
}

func TestNewSnapshotErrors(t *testing.T) {
	bad := DefaultDials()
	bad.Headroom = 1.5
	tests := []struct {
		name string
		in   Input
		want error
	}{
		{"invalid dials", Input{Dials: bad}, ErrInvalidDials},
		{"duplicate edge", Input{Dials: DefaultDials(), Edges: []Edge{edge("a", "x", 0), edge("a", "y", 0)}}, ErrInvalidEdge},
		{"empty edge ID", Input{Dials: DefaultDials(), Edges: []Edge{edge("", "x", 0)}}, ErrInvalidEdge},
		{"negative capacity", Input{Dials: DefaultDials(), Edges: []Edge{func() Edge { e := edge("a", "x", 0); e.CapacityMbps = -1; return e }()}}, ErrInvalidEdge},
		{"zero bitrate", Input{Dials: DefaultDials(), Origins: map[string]Origin{"s": {URL: "https://o"}}}, ErrInvalidOrigin},
		{"too many DCs", Input{Dials: DefaultDials(), Edges: func() []Edge {
			var es []Edge
			for k := range MaxDCs + 1 {
				es = append(es, edge(fmt.Sprint(k), fmt.Sprint("dc", k), 0))
			}
			return es
		}()}, ErrTooManyDCs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSnapshot(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDialsValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Dials)
		ok     bool
	}{
		{"defaults", func(*Dials) {}, true},
		{"overflow template", func(d *Dials) { d.OverflowURL = "https://cdn.example/{stream}/{path}" }, true},
		{"relative overflow", func(d *Dials) { d.OverflowURL = "/live/{stream}" }, false},
		{"zero headroom", func(d *Dials) { d.Headroom = 0 }, false},
		{"negative weight", func(d *Dials) { d.WeightLatency = -1 }, false},
		{"zero fan-out", func(d *Dials) { d.FanOut = 0 }, false},
		{"too many candidates", func(d *Dials) { d.Candidates = MaxPicks + 1 }, false},
		{"zero stale window", func(d *Dials) { d.StaleAfter = 0 }, false},
		{"negative DC cost", func(d *Dials) { d.DCCost = map[string]float64{"x": -1} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DefaultDials()
			tc.modify(&d)
			err := d.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidDials) {
				t.Errorf("error %v does not wrap ErrInvalidDials", err)
			}
		})
	}
}
