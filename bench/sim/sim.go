package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

// epoch is the virtual clock's zero: midnight of an arbitrary day, plus
// the configured start hour.
var epoch = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// counters are the simulation's event counts.
type counters struct {
	decisions  int64 // placement.Ledger.Choose calls
	placed     int64 // viewers sent to an edge
	overflowed int64 // viewers sent to the overflow CDN
	moved      int64 // viewers placed again because their edge left the tree
	shed       int64 // viewers taken off an edge that went past capacity
	started    int64 // edges that started a stream outside the plan
	plans      int64 // PlanAll calls
	planned    int64 // streams planned, summed over the calls
}

// Sim is one simulated fleet on a virtual clock. It is not safe for
// concurrent use, except Status, which any goroutine may call while Run
// runs.
type Sim struct {
	cfg      Config
	w        *world
	f        *fleet
	u        *usher
	rec      *recorder
	curve    curve
	specials []special
	demand   *rand.Rand // arrivals and departures
	cnt      counters
	start    time.Time // virtual time of tick 0

	tick     int64 // next tick; negative during the warm-up
	slots    int
	pending  [][]int32 // per refresh slot: arrivals per stream
	touched  [][]int32 // per refresh slot: streams with arrivals
	planSet  []int32
	migrants []int32

	wall   Wall
	status status
}

// status is what Status reads while Run runs.
type status struct {
	simSec, viewers, servedKbps, overflowKbps, decisions atomic.Int64
	overflowShare                                        atomic.Uint64 // float64 bits
}

// Status is a live view of a running simulation.
type Status struct {
	Elapsed       time.Duration // virtual time since the start
	Viewers       int64
	ServedGbps    float64
	OverflowGbps  float64
	OverflowShare float64 // of bytes so far
	Decisions     int64
}

// New validates cfg and builds the world.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Bitrates = append([]float64(nil), cfg.Bitrates...)
	world := rand.New(rand.NewPCG(cfg.Seed, 0x6c697665))
	w := newWorld(cfg, world)
	if len(cfg.Dials.DCCost) == 0 {
		cfg.Dials.DCCost = make(map[string]float64, len(w.dcs))
		for d, dc := range w.dcs {
			cfg.Dials.DCCost[dc] = w.dcCost[d]
		}
	} else {
		for d, dc := range w.dcs {
			w.dcCost[d] = cfg.Dials.DCCost[dc]
		}
	}
	c := newCurve(cfg)
	s := &Sim{
		cfg:      cfg,
		w:        w,
		f:        newFleet(w),
		curve:    c,
		specials: schedule(cfg, w, c, world),
		demand:   rand.New(rand.NewPCG(cfg.Seed, 0x64656d64)),
		start:    epoch.Add(time.Duration(cfg.StartHour * float64(time.Hour))),
		tick:     -int64(cfg.Warmup / Tick),
		slots:    int(Tick / cfg.Refresh),
	}
	s.u = newUsher(cfg, w, s.f, rand.New(rand.NewPCG(cfg.Seed, 0x76696577)), &s.cnt)
	s.pending = make([][]int32, s.slots)
	s.touched = make([][]int32, s.slots)
	for i := range s.pending {
		s.pending[i] = make([]int32, len(w.streams))
	}
	// Spread the sweep so that streams come due one slice per tick rather
	// than all at once.
	sweep := int64(cfg.PlanSweep / Tick)
	for k := range s.f.streams {
		s.f.streams[k].lastPlan = s.tick - int64(k)%sweep
	}
	s.rec = newRecorder(cfg, w, s.f, s.specials)
	return s, nil
}

// Run simulates the configured duration, or until ctx is done, in which
// case it returns the results so far with ctx's error.
func (s *Sim) Run(ctx context.Context) (*Result, error) {
	began := time.Now()
	end := int64(s.cfg.Duration / Tick)
	var err error
	for s.tick < end {
		if s.tick&63 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		if err = s.step(); err != nil {
			break
		}
	}
	s.wall.Total = time.Since(began)
	return s.result(), err
}

// step simulates one tick: departures, arrivals decided refresh by
// refresh, the tree plan, viewers moved by it, then the checks.
func (s *Sim) step() error {
	t := s.tick
	if t == 0 {
		s.rec.started = s.cnt
	}
	s.departures(t)
	s.arrivals(t)
	for slot := range s.slots {
		if err := s.decideSlot(t, slot); err != nil {
			return err
		}
	}
	s.rec.capacity(t, s.u, afterDecisions)
	if t%int64(s.cfg.PlanEvery/Tick) == 0 {
		if err := s.plan(t); err != nil {
			return err
		}
	}
	s.rec.capacity(t, s.u, afterPlan)
	if err := s.placeMigrants(t); err != nil {
		return err
	}
	if s.u.err != nil {
		return s.u.err
	}
	if err := s.rec.check(t); err != nil {
		return err
	}
	s.rec.record(t)
	s.publish(t)
	s.tick++
	return nil
}

// now returns the virtual time of a refresh slot of tick t.
func (s *Sim) now(t int64, slot int) time.Time {
	return s.start.Add(time.Duration(t)*Tick + time.Duration(slot)*s.cfg.Refresh)
}

// decideSlot refreshes usher's snapshot and ledger and places the slot's
// arrivals.
func (s *Sim) decideSlot(t int64, slot int) error {
	list := s.touched[slot]
	if len(list) == 0 {
		return nil
	}
	if err := s.refresh(s.now(t, slot), list, t); err != nil {
		return err
	}
	began := time.Now()
	for _, k := range list {
		n := s.pending[slot][k]
		s.pending[slot][k] = 0
		s.u.place(k, n, true, t)
	}
	s.wall.Choose += time.Since(began)
	s.touched[slot] = list[:0]
	return nil
}

// refresh builds a decision snapshot of the given streams and resets the
// ledger onto it.
func (s *Sim) refresh(now time.Time, set []int32, t int64) error {
	began := time.Now()
	snap, err := s.u.snapshot(now, set, forChoose, false, t)
	if err != nil {
		return err
	}
	if s.u.ledger == nil {
		s.u.ledger = placement.NewLedger(snap, 1)
	} else {
		s.u.ledger.Reset(snap)
	}
	s.u.epoch++
	s.wall.Snapshot += time.Since(began)
	return nil
}

// plan runs PlanAll over the streams due and applies the plans.
func (s *Sim) plan(t int64) error {
	set := s.planSet[:0]
	sweep := int64(s.cfg.PlanSweep / Tick)
	for k := range s.f.streams {
		st := &s.f.streams[k]
		if len(st.holds) == 0 && st.viewers == 0 {
			continue
		}
		if s.cfg.PlanAllStreams || st.dirty || t-st.lastPlan >= sweep {
			set = append(set, int32(k))
		}
	}
	s.planSet = set
	if len(set) == 0 {
		return nil
	}
	began := time.Now()
	now := s.now(t+1, 0)
	snap, err := s.u.snapshot(now, set, forPlan, true, t)
	if err != nil {
		return err
	}
	plans := placement.PlanAll(snap, now)
	s.u.resetDemandMaps(set)
	s.cnt.plans++
	s.cnt.planned += int64(len(plans))
	for i := range plans {
		k, ok := s.w.byName[plans[i].Stream]
		if !ok {
			return fmt.Errorf("%w: plan for unknown stream %q", ErrInvariant, plans[i].Stream)
		}
		s.u.apply(k, &plans[i], t)
	}
	s.wall.Plan += time.Since(began)
	return nil
}

// placeMigrants places the viewers moved off edges by the plan or by
// shedding, with a fresh snapshot.
func (s *Sim) placeMigrants(t int64) error {
	list := s.migrants[:0]
	for k := range s.f.streams {
		if s.f.streams[k].migrants > 0 {
			list = append(list, int32(k))
		}
	}
	s.migrants = list
	if len(list) == 0 {
		return nil
	}
	if err := s.refresh(s.now(t+1, 0), list, t); err != nil {
		return err
	}
	began := time.Now()
	for _, k := range list {
		n := s.f.streams[k].migrants
		s.f.streams[k].migrants = 0
		s.u.place(k, n, false, t)
	}
	s.wall.Choose += time.Since(began)
	return nil
}

// publish updates what Status reads.
func (s *Sim) publish(t int64) {
	st := &s.status
	st.simSec.Store(t + 1)
	st.viewers.Store(s.f.viewers)
	st.servedKbps.Store(s.f.served)
	st.overflowKbps.Store(s.f.overflow)
	st.decisions.Store(s.cnt.decisions)
	share := 0.0
	if tot := s.rec.servedKS + s.rec.overflowKS; tot > 0 {
		share = s.rec.overflowKS / tot
	}
	st.overflowShare.Store(math.Float64bits(share))
}

// Status returns the running simulation's progress; it is safe to call
// from any goroutine.
func (s *Sim) Status() Status {
	st := &s.status
	return Status{
		Elapsed:       time.Duration(st.simSec.Load()) * Tick,
		Viewers:       st.viewers.Load(),
		ServedGbps:    float64(st.servedKbps.Load()) / 1e6,
		OverflowGbps:  float64(st.overflowKbps.Load()) / 1e6,
		OverflowShare: math.Float64frombits(st.overflowShare.Load()),
		Decisions:     st.decisions.Load(),
	}
}
