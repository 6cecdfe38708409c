package placement

import (
	"math"
	"testing"
)

// steerInput is one stream on one roomy edge with a planned overflow share.
func steerInput(share float64, edit func(*Dials)) Input {
	d := DefaultDials()
	d.OverflowURL = "https://overflow.example/{stream}/{path}"
	if edit != nil {
		edit(&d)
	}
	return Input{
		Edges:    []Edge{edge("a", "east", 0)},
		Origins:  origins(0.01, "s", "other"),
		Overflow: map[string]float64{"s": share},
		Dials:    d,
	}
}

func TestLedgerSteersPlannedShare(t *testing.T) {
	tests := []struct {
		name       string
		in         Input
		resetEvery int // decisions between Resets; 0 never
		want       float64
		tolerance  float64
	}{
		{"no share", steerInput(0, nil), 0, 0, 0},
		{"a quarter", steerInput(0.25, nil), 0, 0.25, 1},
		{"a third, reset often", steerInput(1.0/3, nil), 3, 1.0 / 3, 60},
		{"all", steerInput(1, nil), 7, 1, 0},
		{"a share above 1 is all", steerInput(7, nil), 0, 1, 0},
		{"dial off", steerInput(0.5, func(d *Dials) { d.SteerOverflow = false }), 0, 0, 0},
		{"no overflow CDN to steer to", steerInput(0.5, func(d *Dials) { d.OverflowURL = "" }), 0, 0, 0},
	}
	const n = 3000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, tc.in)
			l := NewLedger(s, 1)
			steered, placed := 0, 0
			for k := range n {
				if tc.resetEvery > 0 && k%tc.resetEvery == 0 {
					l.Reset(s)
				}
				d := l.Choose(Request{Stream: "s", Path: "index.m3u8"})
				switch {
				case d.Reason == ReasonPlannedOverflow:
					steered++
					if !d.Overflow || d.OverflowURL != "https://overflow.example/s/index.m3u8" || len(d.Picks()) != 0 {
						t.Fatalf("steered decision %+v", d)
					}
				case d.Reason == ReasonCarrying || d.Reason == ReasonNewUpstream:
					placed++
				default:
					t.Fatalf("decision %v", d.Reason)
				}
				// Other streams are never steered.
				if d := l.Choose(Request{Stream: "other"}); d.Overflow {
					t.Fatalf("other stream steered: %v", d.Reason)
				}
			}
			if got := float64(steered); math.Abs(got-tc.want*n) > tc.tolerance {
				t.Errorf("steered %d of %d, want %v ± %v", steered, n, tc.want*n, tc.tolerance)
			}
			if placed+steered != n {
				t.Errorf("placed %d + steered %d ≠ %d", placed, steered, n)
			}
			// A stateless decision keeps no count and never steers.
			if d := Choose(s, Request{Stream: "s"}); d.Overflow {
				t.Errorf("stateless Choose steered: %v", d.Reason)
			}
		})
	}
}

func TestSteerReserve(t *testing.T) {
	// Edge a is at 850 of its 900 Mbps limit: a stream the plan could not
	// fit must leave the last SteerReserve (5 % of 900 = 45 Mbps) to
	// others, so it may fill only to 855.
	in := func(egress float64) Input {
		d := DefaultDials()
		d.OverflowURL = "https://overflow.example/{stream}"
		d.SteerReserve = 0.05
		return Input{
			Edges:    []Edge{edge("a", "east", egress)},
			Origins:  origins(5, "big", "small"),
			Overflow: map[string]float64{"big": 0.0001},
			Dials:    d,
		}
	}
	tests := []struct {
		name   string
		egress float64
		stream string
		room   bool
	}{
		{"steered stream within the reserve's edge", 850, "big", true},
		{"steered stream stops at the reserve", 851, "big", false},
		{"other stream fills the reserve", 851, "small", true},
		{"other stream stops at the limit", 896, "small", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSnapshot(t, in(tc.egress))
			d := Choose(s, Request{Stream: tc.stream})
			if _, ok := d.Best(); ok != tc.room {
				t.Errorf("room = %v, want %v", ok, tc.room)
			}
		})
	}
}

func TestPlanArrivalOverflowShare(t *testing.T) {
	// One edge of 900 Mbps within headroom, a 10 Mbps stream, five seconds
	// of horizon.
	tests := []struct {
		name      string
		viewers   int     // on the edge
		velocity  float64 // arrivals per second
		others    float64 // Mbps of other streams on the edge
		want      float64
		wantShare float64 // TreePlan.OverflowShare, for contrast
	}{
		{"fits", 50, 2, 0, 0, 0},
		{"no audience", 0, 0, 0, 0, 0},
		{"half the growth fits", 80, 4, 0, 0.5, 0.1},
		{"full tree takes no one new", 90, 2, 0, 1, 0.1},
		{"others took the room", 40, 2, 500, 1, 0.2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := edge("a", "east", tc.others+float64(tc.viewers)*10)
			if tc.viewers > 0 {
				e = carrying(e, "s", tc.viewers, "")
			}
			s := mustSnapshot(t, Input{
				Edges:   []Edge{e},
				Origins: origins(10, "s"),
				Demand:  map[string]Demand{"s": {Viewers: tc.viewers, Velocity: tc.velocity}},
			})
			p := mustPlan(t, s, "s", t0)
			if math.Abs(p.ArrivalOverflowShare-tc.want) > 1e-9 || math.Abs(p.OverflowShare-tc.wantShare) > 1e-9 {
				t.Errorf("arrival share %v, share %v; want %v, %v", p.ArrivalOverflowShare, p.OverflowShare, tc.want, tc.wantShare)
			}
		})
	}
}
