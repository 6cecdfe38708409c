package sim

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

// small is a ten-minute run on 20 edges near the evening peak with one
// surge at minute five that the fleet can carry (8 Gbps on top of about
// 5.5 Gbps, within 18 Gbps of headroom).
func small() Config {
	c := DefaultConfig()
	c.Duration = 10 * time.Minute
	c.Warmup = time.Minute
	c.Edges = 20
	c.Streams = 200
	c.MeanGbps, c.PeakGbps = 3, 6
	c.StartHour = 20
	c.EventGbps = 0
	c.SurgeViewers = 2000
	c.Surges = 1
	c.SurgeHold = 2 * time.Minute
	c.SurgeDecay = time.Minute
	return c
}

func run(t testing.TB, c Config) *Result {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestInvariants runs fleets of several shapes; Run itself fails on a
// viewer that is neither served nor overflowed, or an edge whose egress
// is not its viewers and feeds. On top, no edge may ever pass capacity,
// at Headroom 1 too: the ledger charges a new child's feed to its parent
// and the plan never gives a parent a child its viewers leave no room for.
func TestInvariants(t *testing.T) {
	for _, tc := range []struct {
		name         string
		edit         func(*Config)
		overCapacity bool
	}{
		{"surge that fits", func(*Config) {}, false},
		{"surge past the fleet", func(c *Config) { c.SurgeViewers = 20000 }, false},
		{"two surges and an event", func(c *Config) {
			c.Surges = 2
			c.EventGbps, c.EventAt, c.EventLength = 40, 2*time.Minute, 4*time.Minute
		}, false},
		{"one decision per viewer group of many", func(c *Config) { c.MaxDecisions = 1; c.SurgeViewers = 20000 }, false},
		{"refresh once a tick", func(c *Config) { c.Refresh = time.Second }, false},
		{"plan every stream", func(c *Config) { c.PlanAllStreams = true; c.Duration = 5 * time.Minute }, false},
		{"plan every 3 s", func(c *Config) { c.PlanEvery = 3 * time.Second }, false},
		{"one datacenter, fan-out 1", func(c *Config) { c.DCs = 1; c.Dials.FanOut = 1; c.Dials.OriginFanOut = 1 }, false},
		{"98 % headroom", func(c *Config) { c.Dials.Headroom = 0.98; c.SurgeViewers = 20000 }, false},
		{"full headroom", func(c *Config) { c.Dials.Headroom = 1; c.SurgeViewers = 20000 }, false},
		{"tiny fleet, many streams", func(c *Config) { c.Edges = 4; c.DCs = 2; c.Streams = 1000; c.MeanGbps, c.PeakGbps = 2, 3 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := small()
			tc.edit(&c)
			r := run(t, c)
			switch {
			case tc.overCapacity:
				if r.Violations == 0 || r.Shed == 0 || r.MaxOverMbps > 0.05*c.EdgeMbps {
					t.Errorf("capacity: %d violations, worst %.1f Mbps over, %d viewers shed; want a few, slightly over", r.Violations, r.MaxOverMbps, r.Shed)
				}
			case r.Violations != 0 || r.MaxOverMbps != 0 || r.Shed != 0:
				t.Errorf("capacity: %d violations, worst %.1f Mbps over, %d viewers shed", r.Violations, r.MaxOverMbps, r.Shed)
			case r.MaxEdgeUtil > 1:
				t.Errorf("busiest edge at %.3f of capacity", r.MaxEdgeUtil)
			}
			if r.Seconds != int64(c.Duration/Tick) {
				t.Errorf("recorded %d s, want %v", r.Seconds, c.Duration)
			}
			if r.Decisions == 0 || r.Placed == 0 {
				t.Errorf("no decisions: %+v", r)
			}
			// Demand is what was served plus what overflowed, in bytes too.
			if d := r.MeanDemandGbps - r.MeanServedGbps - r.MeanOverflowGbps; math.Abs(d) > 1e-6 {
				t.Errorf("demand %.3f ≠ served %.3f + overflow %.3f", r.MeanDemandGbps, r.MeanServedGbps, r.MeanOverflowGbps)
			}
		})
	}
}

// TestConservationCheck corrupts the fleet and expects the check to say
// so.
func TestConservationCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(s *Sim)
	}{
		{"viewer lost from an edge", func(s *Sim) {
			for k := range s.f.streams {
				if st := &s.f.streams[k]; len(st.holds) > 0 && st.holds[0].viewers > 0 {
					st.holds[0].viewers--
					return
				}
			}
		}},
		{"viewer left unplaced", func(s *Sim) { s.f.streams[0].migrants++ }},
		{"egress drifts", func(s *Sim) { s.f.egress[3] += 1000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := small()
			c.Duration = time.Minute
			s, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			for s.tick < 0 {
				if err := s.step(); err != nil {
					t.Fatal(err)
				}
			}
			tc.corrupt(s)
			if err := s.rec.check(0); !errors.Is(err, ErrInvariant) {
				t.Errorf("check: %v, want ErrInvariant", err)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	c := small()
	c.Duration = 6 * time.Minute
	a, b := run(t, c), run(t, c)
	a.Wall, b.Wall = Wall{}, Wall{}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs with seed %d differ:\n%+v\n%+v", c.Seed, a, b)
	}
	c.Seed++
	other := run(t, c)
	if other.Decisions == a.Decisions && other.PeakViewers == a.PeakViewers {
		t.Error("a different seed gave the same run")
	}
}

// TestSurgeGrowsTree checks that a surge the fleet can carry is met: the
// tree keeps ahead of the demand (usher projects arrivals five seconds
// ahead) and hardly anyone overflows.
func TestSurgeGrowsTree(t *testing.T) {
	r := run(t, small())
	if len(r.Surges) != 1 {
		t.Fatalf("%d surges tracked", len(r.Surges))
	}
	s := r.Surges[0]
	t.Logf("surge: peak demand %.2f Gbps, tree %.2f Gbps on %d edges, grown after %v s, worst lag %v s, overflow %.2f %%",
		s.PeakDemandGbps, s.PeakCapacityGbps, s.PeakEdges, s.GrowSeconds, s.MaxLagSeconds, 100*s.OverflowShare)
	ramp := small().SurgeRamp.Seconds()
	if !(s.GrowSeconds <= ramp+3) {
		t.Errorf("tree grown after %v s; want within the %v s ramp + 3 s", s.GrowSeconds, ramp)
	}
	if s.MaxLagSeconds > 3 {
		t.Errorf("tree trailed demand by %v s; the model rebuilds in 3 s", s.MaxLagSeconds)
	}
	if s.OverflowShare > 0.02 {
		t.Errorf("%.1f %% of the surge overflowed although it fits", 100*s.OverflowShare)
	}
	if s.PeakEdges < 9 {
		t.Errorf("largest tree %d edges; 8 Gbps needs at least 9 of 0.9 Gbps", s.PeakEdges)
	}
}

// TestSurgePastFleet checks a surge the fleet cannot carry: the tree
// grows until the fleet is full, edges stay within capacity, and the
// overflow CDN takes the rest.
func TestSurgePastFleet(t *testing.T) {
	c := small()
	c.SurgeViewers = 20000 // 80 Gbps against 18
	r := run(t, c)
	s := r.Surges[0]
	if !(s.GrowSeconds <= c.SurgeRamp.Seconds()) {
		t.Errorf("fleet not full until %v s", s.GrowSeconds)
	}
	if s.PeakEdges != c.Edges {
		t.Errorf("largest tree %d edges, want the whole fleet (%d)", s.PeakEdges, c.Edges)
	}
	limit := float64(c.Edges) * c.EdgeMbps * c.Dials.Headroom / 1000
	if r.PeakServedGbps > limit*1.01 {
		t.Errorf("served %.2f Gbps, more than the fleet's %.1f within headroom", r.PeakServedGbps, limit)
	}
	if r.OverflowShare < 0.3 || r.Overflowed == 0 {
		t.Errorf("overflow share %.2f; the overflow CDN should carry most of the surge", r.OverflowShare)
	}
}

// TestDemandFollowsCurve checks the first minute's demand against the
// curve: viewers × bitrate should match the configured Gbps.
func TestDemandFollowsCurve(t *testing.T) {
	c := small()
	c.Duration = time.Minute
	c.Warmup = 10 * time.Minute
	c.Surges = 0
	r := run(t, c)
	want := newCurve(c).gbps(30)
	if got := r.MeanDemandGbps; math.Abs(got-want)/want > 0.1 {
		t.Errorf("mean demand %.2f Gbps, curve says %.2f", got, want)
	}
}

func TestCurve(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mean, peak float64
	}{
		{"model", 45, 110},
		{"flat-ish", 50, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.MeanGbps, c.PeakGbps = tc.mean, tc.peak
			cv := newCurve(c)
			sum, top := 0.0, 0.0
			for s := 0; s < 86400; s += 10 {
				g := cv.gbps(float64(s))
				sum += g
				top = max(top, g)
			}
			if mean := sum / 8640; math.Abs(mean-tc.mean) > 0.01*tc.mean {
				t.Errorf("mean %.2f, want %v", mean, tc.mean)
			}
			if math.Abs(top-tc.peak) > 0.01 {
				t.Errorf("peak %.2f, want %v", top, tc.peak)
			}
			if g := cv.gbps(21 * 3600); math.Abs(g-tc.peak) > 1e-9 {
				t.Errorf("at 21:00 %.2f, want the peak", g)
			}
		})
	}
}

// TestEventReachesTarget checks that the event's streams add up to the
// configured peak on top of the base curve.
func TestEventReachesTarget(t *testing.T) {
	c := DefaultConfig()
	c.SurgeViewers = 10000
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	at := c.EventAt.Seconds() + 1800
	total := s.curve.gbps(at)
	for _, sp := range s.specials {
		if sp.kind != kindSurge {
			total += sp.level(at) * s.w.streams[sp.stream].origin.BitrateMbps / 1000
		}
	}
	if math.Abs(total-c.EventGbps) > 0.02*c.EventGbps {
		t.Errorf("demand at the event's height %.1f Gbps, want %v", total, c.EventGbps)
	}
	if len(s.specials) != 1+c.EventStreams+c.Surges {
		t.Errorf("%d special audiences", len(s.specials))
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"refresh that does not divide a tick", func(c *Config) { c.Refresh = 300 * time.Millisecond }, false},
		{"fractional duration", func(c *Config) { c.Duration = 1500 * time.Millisecond }, false},
		{"no edges", func(c *Config) { c.Edges = 0 }, false},
		{"more DCs than edges", func(c *Config) { c.Edges, c.DCs = 2, 3 }, false},
		{"mean above peak", func(c *Config) { c.MeanGbps = 200 }, false},
		{"bad dials", func(c *Config) { c.Dials.Headroom = 0 }, false},
		{"sweep shorter than plan", func(c *Config) { c.PlanEvery = 5 * time.Second; c.PlanSweep = time.Second }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v is not ErrInvalidConfig", err)
			}
		})
	}
}

// BenchmarkSimulatedHour simulates one evening hour of the default fleet,
// with a surge, and reports the speed against the wall clock.
func BenchmarkSimulatedHour(b *testing.B) {
	c := DefaultConfig()
	c.Duration = time.Hour
	c.StartHour = 20
	c.EventGbps = 0
	c.Surges = 1
	b.ReportAllocs()
	var decisions int64
	var choose time.Duration
	for i := 0; i < b.N; i++ {
		r := run(b, c)
		decisions += r.Decisions
		choose += r.Wall.Choose
	}
	b.ReportMetric(float64(b.N)*c.Duration.Seconds()/b.Elapsed().Seconds(), "sim-s/s")
	b.ReportMetric(float64(decisions)/choose.Seconds(), "decisions/s")
}
