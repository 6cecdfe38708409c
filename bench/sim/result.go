package sim

import (
	"math"
	"time"
)

// Result is what a run measured. Everything but Wall is a pure function of
// the Config: two runs with the same seed give equal Results once Wall is
// cleared.
type Result struct {
	Config  Config
	Seconds int64 // simulated seconds recorded

	// Edges and fleet.
	MaxEdgeUtil   float64 // busiest edge-second, fraction of capacity
	MaxEdgeUtilAt time.Duration
	MeanFleetUtil float64 // fleet egress over fleet capacity, averaged
	AboveHeadroom float64 // share of edge-seconds above Headroom × capacity
	// Violations counts edges found past capacity by the check after each
	// tick's decisions, and ViolationsAfterPlan by the check after its
	// tree plan.
	Violations          int64
	ViolationsAfterPlan int64
	MaxOverMbps         float64
	UnshedMbps          float64
	UtilHist            []int64 // edge-seconds per 1 % of utilisation, the last bin 120 % and up
	PeakViewers         int64
	MeanDemandGbps      float64
	PeakDemandGbps      float64
	PeakDemandAt        time.Duration
	MeanServedGbps      float64
	PeakServedGbps      float64
	MeanOverflowGbps    float64
	// The base audience is everything but the event and surge audiences
	// (their target level, and that share of their streams' overflow): an
	// ordinary day, to set against the model's 45 Gbps mean and 110 Gbps
	// peak.
	BaseMeanGbps      float64
	BasePeakGbps      float64
	BaseOverflowShare float64

	// OverflowShare is the share of viewer bytes the overflow CDN carried.
	OverflowShare float64
	// PeeredShare is the share of edge-to-viewer bytes that went to ISPs
	// peering with the edge's datacenter, free; the rest is transit.
	PeeredShare float64
	// TransitCost is Σ transit Mbps × hours × the datacenter's DCCost.
	TransitCost float64
	// RelayShare is the share of edge egress that feeds other edges, and
	// InterDCRelayShare the share of those feeds that cross datacenters.
	RelayShare        float64
	InterDCRelayShare float64

	// Counts over the recorded run.
	Decisions, Placed, Overflowed, Moved, Shed, Started, Plans, Planned int64

	TreeHist []int64 // stream-samples per tree size (edges carrying a stream)
	MaxTree  int

	DCs []DCResult

	Surges []SurgeResult
	Series Series
	Wall   Wall
}

// DCResult is one datacenter's share of the run.
type DCResult struct {
	Name        string
	Edges       int
	Price       float64 // DCCost: transit price per Mbps
	MeanUtil    float64 // mean egress over capacity
	TransitGbps float64 // mean viewer traffic to ISPs that do not peer with it
	TransitCost float64 // TransitGbps × 1000 × hours × Price
}

// SurgeResult is how the fleet met one surge.
type SurgeResult struct {
	Kind        string
	Stream      string
	At          time.Duration
	Viewers     int
	BitrateMbps float64

	PeakDemandGbps   float64
	PeakCapacityGbps float64 // the largest tree the planner gave it
	PeakEdges        int
	// GrowSeconds is the time from the surge's start until the tree was
	// grown enough: its capacity covered 95 % of the surge's peak demand,
	// or the planner reported the fleet full; NaN if neither happened.
	// MaxLagSeconds is, over the ramp, the longest the tree took to be big
	// enough (in the same sense) for the demand of a given second.
	GrowSeconds   float64
	MaxLagSeconds float64
	// OverflowShare is the share of the stream's bytes, from the start of
	// the surge to the end of the tracked window, that overflowed.
	OverflowShare float64

	// Per-second series from 30 s before the start, in Gbps and edges.
	From                           time.Duration
	Demand, Served, Capacity, Size []float64
}

// Series are the run's time series, one point per sample period.
type Series struct {
	T                                       []float64 // seconds since the start
	Demand, Served, Overflow, Relay, Egress []float64 // Gbps
	Viewers                                 []float64
	DCs                                     []string
	DCUtil                                  [][]float64
	MaxEdgeUtil                             []float64
	OverflowShareSoFar                      []float64
}

// Wall is the wall-clock cost of the run, kept apart from the results so
// those stay deterministic: the whole run, placement decisions, planning
// (PlanAll and applying its plans) and building decision snapshots.
type Wall struct {
	Total, Choose, Plan, Snapshot time.Duration
}

func (s *Sim) result() *Result {
	r, f := s.rec, s.f
	n := float64(max(r.ticks, 1))
	c := s.cnt
	c0 := r.started
	res := &Result{
		Config:              s.cfg,
		Seconds:             r.ticks,
		MaxEdgeUtil:         r.maxUtil,
		MaxEdgeUtilAt:       time.Duration(r.maxUtilTick) * Tick,
		MeanFleetUtil:       r.utilSum / n,
		AboveHeadroom:       float64(r.aboveHeadroom) / (n * float64(len(f.egress))),
		Violations:          r.violations[afterDecisions] + r.violations[afterPlan],
		ViolationsAfterPlan: r.violations[afterPlan],
		MaxOverMbps:         float64(r.maxOverKbps) / 1000,
		UnshedMbps:          float64(r.unshed) / 1000,
		UtilHist:            r.utilHist[:],
		PeakViewers:         r.peakViewers,
		MeanDemandGbps:      (r.servedKS + r.overflowKS) / n / 1e6,
		PeakDemandGbps:      float64(r.peakDemandKbps) / 1e6,
		PeakDemandAt:        time.Duration(r.peakDemandTick) * Tick,
		MeanServedGbps:      r.servedKS / n / 1e6,
		PeakServedGbps:      float64(r.peakServedKbps) / 1e6,
		MeanOverflowGbps:    r.overflowKS / n / 1e6,
		BaseMeanGbps:        r.baseKS / n / 1e6,
		BasePeakGbps:        float64(r.basePeakKbps) / 1e6,
		BaseOverflowShare:   ratio(r.baseOverflowKS, r.baseKS),
		OverflowShare:       ratio(r.overflowKS, r.servedKS+r.overflowKS),
		PeeredShare:         ratio(r.peeredKS, r.servedKS),
		TransitCost:         r.transitCost / 3600,
		RelayShare:          ratio(r.relayKS, r.servedKS+r.relayKS),
		InterDCRelayShare:   ratio(r.interKS, r.relayKS),
		Decisions:           c.decisions - c0.decisions,
		Placed:              c.placed - c0.placed,
		Overflowed:          c.overflowed - c0.overflowed,
		Moved:               c.moved - c0.moved,
		Shed:                c.shed - c0.shed,
		Started:             c.started - c0.started,
		Plans:               c.plans - c0.plans,
		Planned:             c.planned - c0.planned,
		TreeHist:            r.treeHist,
		MaxTree:             r.maxTree,
		Wall:                s.wall,
	}
	se := &r.series
	res.Series = Series{T: se.t, Demand: se.demand, Served: se.served, Overflow: se.overflow, Relay: se.relay, Egress: se.gbps,
		Viewers: se.viewers, DCs: s.w.dcs, DCUtil: se.dcUtil, MaxEdgeUtil: se.maxUtil, OverflowShareSoFar: se.overflowShareSoFar}
	for d, name := range s.w.dcs {
		edges := 0
		for _, dc := range s.w.edgeDC {
			if dc == int32(d) {
				edges++
			}
		}
		res.DCs = append(res.DCs, DCResult{
			Name: name, Edges: edges, Price: s.w.dcCost[d],
			MeanUtil:    r.dcEgKS[d] / n / float64(s.w.dcCapKbps[d]),
			TransitGbps: r.dcTransitKS[d] / n / 1e6,
			TransitCost: r.dcTransitKS[d] / 1000 / 3600 * s.w.dcCost[d],
		})
	}
	for _, tr := range r.surges {
		if len(tr.demand) == 0 {
			continue
		}
		res.Surges = append(res.Surges, s.surgeResult(tr))
	}
	return res
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (s *Sim) surgeResult(tr *surgeTrack) SurgeResult {
	info := &s.w.streams[tr.sp.stream]
	sr := SurgeResult{
		Kind: tr.sp.kind, Stream: info.name, At: time.Duration(tr.sp.at) * time.Second, Viewers: int(tr.sp.viewers),
		BitrateMbps: info.origin.BitrateMbps, From: time.Duration(tr.from) * time.Second,
	}
	gbps := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x / 1000
		}
		return out
	}
	sr.Demand, sr.Served, sr.Capacity, sr.Size = gbps(tr.demand), gbps(tr.served), gbps(tr.capacity), tr.size

	// Index i is tick from+i; the surge starts at i0. A run that starts
	// inside the window has no points before it.
	i0 := int(int64(tr.sp.at) - tr.from)
	if tr.from < 0 {
		i0 = int(int64(tr.sp.at))
		sr.From = 0
	}
	i0 = min(max(i0, 0), len(tr.demand))
	var dem, capy, servedSum, demandSum float64
	for i := i0; i < len(tr.demand); i++ {
		dem = max(dem, tr.demand[i])
		capy = max(capy, tr.capacity[i])
		sr.PeakEdges = max(sr.PeakEdges, int(tr.size[i]))
		servedSum += tr.served[i]
		demandSum += tr.demand[i]
	}
	sr.PeakDemandGbps, sr.PeakCapacityGbps = dem/1000, capy/1000
	sr.OverflowShare = ratio(demandSum-servedSum, demandSum)
	// The tree is big enough at tick j for a demand d when its capacity
	// covers 95 % of d, or when the planner could not make it any bigger
	// because the fleet was full.
	enough := func(j int, d float64) bool { return tr.capacity[j] >= 0.95*d || tr.full[j] }
	sr.GrowSeconds = math.NaN()
	for i := i0; i < len(tr.capacity); i++ {
		if enough(i, dem) {
			sr.GrowSeconds = float64(i - i0)
			break
		}
	}
	rampEnd := min(i0+int(tr.sp.ramp), len(tr.demand))
	for i := i0; i < rampEnd; i++ {
		j := i
		for j < len(tr.capacity) && !enough(j, tr.demand[i]) {
			j++
		}
		sr.MaxLagSeconds = max(sr.MaxLagSeconds, float64(j-i))
	}
	return sr
}
