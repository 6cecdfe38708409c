package sim

import "fmt"

// utilBins is the resolution of the edge utilisation histogram: 1 % bins
// up to 120 %, the last one holding anything above.
const utilBins = 121

// recorder measures the run from tick 0 on (the warm-up is not recorded).
type recorder struct {
	cfg Config
	w   *world
	f   *fleet

	every int64 // sample period in ticks

	// Integrals over the run, in kbps × seconds.
	servedKS, overflowKS, relayKS, interKS, peeredKS float64
	transitCost                                      float64 // Σ transit Mbps × s × DCCost
	utilSum                                          float64 // Σ fleet egress / fleet capacity
	ticks                                            int64

	maxUtil       float64
	maxUtilTick   int64
	utilHist      [utilBins]int64 // edge-ticks per 1 % of utilisation
	aboveHeadroom int64           // edge-ticks above Headroom × capacity
	violations    [2]int64        // edge-checks above capacity, by where the check ran
	maxOverKbps   int64
	unshed        int64 // kbps over capacity that shedding viewers could not remove

	peakDemandKbps, peakServedKbps int64
	peakDemandTick                 int64
	peakViewers                    int64
	maxTree                        int
	treeHist                       []int64 // stream-samples per tree size

	// specials are the event and surge audiences; the base figures leave
	// them out (their level, and that share of their stream's overflow) to
	// compare with an ordinary day.
	specials               []special
	baseKS, baseOverflowKS float64
	basePeakKbps           int64

	series  samples
	surges  []*surgeTrack
	byKey   map[int32][]*surgeTrack
	started counters // counts as tick 0 began, so results exclude the warm-up
	// Per datacenter: egress and transit viewer traffic, in kbps × s.
	dcEgKS, dcTransitKS []float64
}

// samples are the time series, one point per sample period.
type samples struct {
	t                                     []float64 // seconds since the start
	demand, served, overflow, relay, gbps []float64 // Gbps
	viewers                               []float64
	dcUtil                                [][]float64 // per datacenter, fraction of its capacity
	maxUtil                               []float64   // busiest edge
	overflowShareSoFar                    []float64
}

// surgeTrack follows one surge tick by tick, from 30 s before it to the
// end of its hold (at most 20 minutes after the ramp).
type surgeTrack struct {
	sp       special
	from, to int64
	demand   []float64 // Mbps of all its viewers
	served   []float64 // Mbps of those on edges
	capacity []float64 // Mbps the last plan's tree can give viewers
	full     []bool    // the last plan found the fleet full
	size     []float64 // edges carrying it
}

func newRecorder(cfg Config, w *world, f *fleet, specials []special) *recorder {
	r := &recorder{cfg: cfg, w: w, f: f, every: cfg.sampleEvery(), byKey: map[int32][]*surgeTrack{}}
	r.series.dcUtil = make([][]float64, len(w.dcs))
	r.dcEgKS = make([]float64, len(w.dcs))
	r.dcTransitKS = make([]float64, len(w.dcs))
	r.treeHist = make([]int64, len(w.edgeIDs)+1)
	r.specials = specials
	for _, sp := range specials {
		if sp.kind == kindEvent {
			continue
		}
		tr := &surgeTrack{sp: sp, from: int64(sp.at) - 30, to: int64(sp.at+sp.ramp+min(sp.hold, 1200)) + 1}
		tr.to = min(tr.to, int64(cfg.Duration/Tick))
		r.surges = append(r.surges, tr)
		r.byKey[sp.stream] = append(r.byKey[sp.stream], tr)
	}
	return r
}

// capacity checks every edge against its capacity: an edge past it is a
// violation, and viewers are shed from it so the run stays physical.
// Where the check runs: after the refreshes' decisions, or after the
// tree plan.
const (
	afterDecisions = 0
	afterPlan      = 1
)

func (r *recorder) capacity(t int64, u *usher, where int) {
	for e, eg := range r.f.egress {
		if eg <= r.w.capKbps[e] {
			continue
		}
		if t >= 0 {
			r.violations[where]++
			r.maxOverKbps = max(r.maxOverKbps, eg-r.w.capKbps[e])
		}
		if left := u.shed(int32(e)); left > 0 && t >= 0 {
			r.unshed = max(r.unshed, left)
		}
	}
}

// check verifies that every viewer is either on an edge or on the
// overflow CDN, and, at each sample, that every edge's egress equals its
// viewers and feeds.
func (r *recorder) check(t int64) error {
	f := r.f
	var total int64
	for k := range f.streams {
		st := &f.streams[k]
		if st.migrants != 0 {
			return fmt.Errorf("%w: tick %d: stream %s has %d viewers left unplaced", ErrInvariant, t, r.w.streams[k].name, st.migrants)
		}
		n := st.overflow
		for i := range st.holds {
			n += st.holds[i].viewers
		}
		if n != st.viewers {
			return fmt.Errorf("%w: tick %d: stream %s has %d viewers but %d served or overflowed", ErrInvariant, t, r.w.streams[k].name, st.viewers, n)
		}
		total += int64(n)
	}
	if total != f.viewers {
		return fmt.Errorf("%w: tick %d: %d viewers in streams, %d counted", ErrInvariant, t, total, f.viewers)
	}
	if t%r.every != 0 {
		return nil
	}
	want := make([]int64, len(f.egress))
	for k := range f.streams {
		kbps := r.w.streams[k].kbps
		for _, h := range f.streams[k].holds {
			want[h.edge] += int64(h.viewers) * kbps
			if h.parent != origin {
				want[h.parent] += kbps
			}
		}
	}
	for e := range want {
		if want[e] != f.egress[e] {
			return fmt.Errorf("%w: tick %d: edge %s egress %d kbps, its viewers and feeds make %d", ErrInvariant, t, r.w.edgeIDs[e], f.egress[e], want[e])
		}
	}
	return nil
}

// record accumulates the tick's figures and, every sample period, the
// time series.
func (r *recorder) record(t int64) {
	if t < 0 {
		return
	}
	f := r.f
	r.ticks++
	r.servedKS += float64(f.served)
	r.overflowKS += float64(f.overflow)
	r.relayKS += float64(f.relay)
	r.interKS += float64(f.interDC)
	r.peeredKS += float64(f.peered)
	for d, kbps := range f.transit {
		r.transitCost += float64(kbps) / 1000 * r.w.dcCost[d]
		r.dcTransitKS[d] += float64(kbps)
		r.dcEgKS[d] += float64(f.dcEg[d])
	}
	var egress, capacity int64
	busiest := 0.0
	for e, eg := range f.egress {
		egress += eg
		capacity += r.w.capKbps[e]
		u := float64(eg) / float64(r.w.capKbps[e])
		busiest = max(busiest, u)
		r.utilHist[min(int(u*100), utilBins-1)]++
		if eg > r.w.limKbps[e] {
			r.aboveHeadroom++
		}
	}
	r.utilSum += float64(egress) / float64(capacity)
	if busiest > r.maxUtil {
		r.maxUtil, r.maxUtilTick = busiest, t
	}
	if d := f.served + f.overflow; d > r.peakDemandKbps {
		r.peakDemandKbps, r.peakDemandTick = d, t
	}
	r.peakServedKbps = max(r.peakServedKbps, f.served)
	var sd, so float64
	for i := range r.specials {
		sp := &r.specials[i]
		st := &f.streams[sp.stream]
		if st.viewers == 0 {
			continue
		}
		v := min(sp.level(float64(t)), float64(st.viewers))
		kbps := float64(r.w.streams[sp.stream].kbps)
		sd += v * kbps
		so += float64(st.overflow) * v / float64(st.viewers) * kbps
	}
	base := float64(f.served+f.overflow) - sd
	r.baseKS += base
	r.baseOverflowKS += float64(f.overflow) - so
	r.basePeakKbps = max(r.basePeakKbps, int64(base))
	r.peakViewers = max(r.peakViewers, f.viewers)

	for _, tr := range r.surges {
		if t >= tr.from && t < tr.to {
			st := &f.streams[tr.sp.stream]
			mb := r.w.streams[tr.sp.stream].origin.BitrateMbps
			tr.demand = append(tr.demand, float64(st.viewers)*mb)
			tr.served = append(tr.served, float64(st.viewers-st.overflow)*mb)
			tr.capacity = append(tr.capacity, st.planCap)
			tr.full = append(tr.full, st.planShort > 0)
			tr.size = append(tr.size, float64(len(st.holds)))
		}
	}

	if t%r.every != 0 {
		return
	}
	s := &r.series
	s.t = append(s.t, float64(t))
	s.demand = append(s.demand, float64(f.served+f.overflow)/1e6)
	s.served = append(s.served, float64(f.served)/1e6)
	s.overflow = append(s.overflow, float64(f.overflow)/1e6)
	s.relay = append(s.relay, float64(f.relay)/1e6)
	s.gbps = append(s.gbps, float64(egress)/1e6)
	s.viewers = append(s.viewers, float64(f.viewers))
	s.maxUtil = append(s.maxUtil, busiest)
	for d := range r.w.dcs {
		s.dcUtil[d] = append(s.dcUtil[d], float64(f.dcEg[d])/float64(r.w.dcCapKbps[d]))
	}
	share := 0.0
	if tot := r.servedKS + r.overflowKS; tot > 0 {
		share = r.overflowKS / tot
	}
	s.overflowShareSoFar = append(s.overflowShareSoFar, share)
	for k := range f.streams {
		st := &f.streams[k]
		if st.viewers-st.overflow > 0 {
			n := len(st.holds)
			r.treeHist[n]++
			r.maxTree = max(r.maxTree, n)
		}
	}
}
