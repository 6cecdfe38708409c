package sim

import (
	"math"
	"math/rand/v2"
	"slices"
)

// curve is the daily shape of the base audience in Gbps:
//
//	min + (peak − min) · ((1 + cos(2π (h − peakHour) / 24)) / 2)³
//
// whose mean over a day is min + (peak − min) · 20/64, so min follows from
// the configured mean and peak (45 and 110 Gbps give a 15.5 Gbps trough).
type curve struct {
	min, peak           float64
	peakHour, startHour float64
	warmup              float64 // seconds before 0 during which demand ramps up
}

// curveMean is the mean of ((1 + cos x) / 2)³ over a period.
const curveMean = 20.0 / 64

func newCurve(cfg Config) curve {
	m := (cfg.MeanGbps - cfg.PeakGbps*curveMean) / (1 - curveMean)
	return curve{min: max(m, 0), peak: cfg.PeakGbps, peakHour: cfg.PeakHour, startHour: cfg.StartHour, warmup: cfg.Warmup.Seconds()}
}

// gbps returns the base demand sec seconds after the start; during the
// warm-up (sec < 0) it ramps linearly from zero.
func (c curve) gbps(sec float64) float64 {
	if sec < 0 {
		if c.warmup <= 0 {
			return 0
		}
		return c.gbps(0) * max(0, 1+sec/c.warmup)
	}
	h := c.startHour + sec/3600
	x := (1 + math.Cos(2*math.Pi*(h-c.peakHour)/24)) / 2
	return c.min + (c.peak-c.min)*x*x*x
}

// Kinds of special audience.
const (
	kindHeadline = "event headline"
	kindEvent    = "event stream"
	kindSurge    = "surge"
)

// special is an audience added to one stream on top of its base share: a
// linear ramp to viewers, a hold, and a linear decay, in seconds from the
// start.
type special struct {
	stream                int32
	kind                  string
	at, ramp, hold, decay float64
	viewers               float64
}

func (s *special) level(t float64) float64 {
	switch x := t - s.at; {
	case x <= 0:
		return 0
	case x < s.ramp:
		return s.viewers * x / s.ramp
	case x <= s.ramp+s.hold:
		return s.viewers
	case x < s.ramp+s.hold+s.decay:
		return s.viewers * (1 - (x-s.ramp-s.hold)/s.decay)
	default:
		return 0
	}
}

// schedule lays out the event and the surges. The event's headline is the
// most popular stream; its other streams come next in popularity; the
// standalone surges hit mid-popularity streams, as a raid or a viral clip
// would. Surging streams take the surge bitrate.
func schedule(cfg Config, w *world, c curve, r *rand.Rand) []special {
	var out []special
	dur := cfg.Duration.Seconds()
	surgeSpan := [3]float64{cfg.SurgeRamp.Seconds(), cfg.SurgeHold.Seconds(), cfg.SurgeDecay.Seconds()}
	used := map[int32]bool{}
	at := cfg.EventAt.Seconds()
	if cfg.EventGbps > 0 && at < dur {
		length := cfg.EventLength.Seconds()
		head := special{stream: 0, kind: kindHeadline, at: at, ramp: surgeSpan[0], hold: max(0, length-surgeSpan[0]), decay: surgeSpan[2], viewers: float64(cfg.SurgeViewers)}
		if head.viewers > 0 {
			w.setBitrate(0, cfg.SurgeBitrateMbps)
			used[0] = true
			out = append(out, head)
		}
		basePeak := 0.0
		for t := at; t <= at+length; t += 60 {
			basePeak = max(basePeak, c.gbps(t))
		}
		extra := cfg.EventGbps - basePeak - head.viewers*cfg.SurgeBitrateMbps/1000
		n := min(cfg.EventStreams, len(w.streams)-1)
		if extra > 0 && n > 0 {
			h := 0.0
			for k := 1; k <= n; k++ {
				h += 1 / float64(k)
			}
			for k := 1; k <= n; k++ {
				gbps := extra / float64(k) / h
				out = append(out, special{stream: int32(k), kind: kindEvent, at: at, ramp: 600, hold: max(0, length-2400), decay: 1800,
					viewers: gbps * 1000 / w.streams[k].origin.BitrateMbps})
				used[int32(k)] = true
			}
		}
	}
	lo, hi := min(max(cfg.EventStreams+1, 10), len(w.streams)-1), min(len(w.streams), 500)
	for k := range cfg.Surges {
		if cfg.SurgeViewers == 0 {
			break
		}
		st := int32(lo)
		if hi > lo {
			st = int32(lo + r.IntN(hi-lo))
		}
		for tries := 0; used[st] && tries < 100 && hi > lo; tries++ {
			st = int32(lo + r.IntN(hi-lo))
		}
		used[st] = true
		w.setBitrate(st, cfg.SurgeBitrateMbps)
		out = append(out, special{stream: st, kind: kindSurge, at: math.Round(dur * float64(k+1) / float64(cfg.Surges+1)),
			ramp: surgeSpan[0], hold: surgeSpan[1], decay: surgeSpan[2], viewers: float64(cfg.SurgeViewers)})
	}
	slices.SortStableFunc(out, func(a, b special) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return out
}

// baseViewers is the base audience at second t.
func (s *Sim) baseViewers(t float64) float64 {
	return s.curve.gbps(t) * 1000 / s.w.meanMb
}

// departures removes viewers: each leaves with probability 1/MeanWatch
// per second, plus the share the base audience falls by; a special
// audience that is decaying also loses its decline from its own stream.
func (s *Sim) departures(t int64) {
	f := s.f
	b0, b1 := s.baseViewers(float64(t)), s.baseViewers(float64(t+1))
	hazard := 1 / s.cfg.MeanWatch.Seconds()
	if b0 > 0 && b1 < b0 {
		hazard += (b0 - b1) / b0
	}
	n := min(int64(poisson(s.demand, float64(f.viewers)*hazard)), f.viewers)
	u := func(n int64) int64 { return s.demand.Int64N(n) }
	for ; n > 0; n-- {
		k := f.total.find(s.demand.Int64N(f.viewers))
		f.depart(k, 1, u)
	}
	for i := range s.specials {
		sp := &s.specials[i]
		l0, l1 := sp.level(float64(t)), sp.level(float64(t+1))
		if l1 < l0 {
			f.depart(sp.stream, int32(poisson(s.demand, l0-l1)), u)
		}
	}
}

// arrivals draws the tick's new viewers, each in a random refresh slot:
// the base audience renews itself (level/MeanWatch a second) and follows
// the daily curve up, streams taking arrivals in proportion to their
// popularity; each special audience does the same on its stream.
func (s *Sim) arrivals(t int64) {
	mean := s.cfg.MeanWatch.Seconds()
	b0, b1 := s.baseViewers(float64(t)), s.baseViewers(float64(t+1))
	n := poisson(s.demand, b0/mean+max(0, b1-b0))
	for range n {
		s.arrive(s.w.popular.draw(s.demand), 1)
	}
	for i := range s.specials {
		sp := &s.specials[i]
		l0, l1 := sp.level(float64(t)), sp.level(float64(t+1))
		if m := poisson(s.demand, l0/mean+max(0, l1-l0)); m > 0 {
			s.arrive(sp.stream, int32(m))
		}
	}
}

// arrive queues m arrivals of stream k, spread over the refresh slots.
func (s *Sim) arrive(k int32, m int32) {
	s.f.count(k, m)
	s.f.streams[k].dirty = true
	if s.slots == 1 {
		s.queue(0, k, m)
		return
	}
	if m < 8 {
		for range m {
			s.queue(s.demand.IntN(s.slots), k, 1)
		}
		return
	}
	// A large batch is split evenly, the remainder at random.
	each, rest := m/int32(s.slots), m%int32(s.slots)
	for slot := range s.slots {
		s.queue(slot, k, each)
	}
	for range rest {
		s.queue(s.demand.IntN(s.slots), k, 1)
	}
}

func (s *Sim) queue(slot int, k int32, m int32) {
	if m == 0 {
		return
	}
	if s.pending[slot][k] == 0 {
		s.touched[slot] = append(s.touched[slot], k)
	}
	s.pending[slot][k] += m
}
