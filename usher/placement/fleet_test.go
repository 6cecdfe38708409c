package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// fleetSpec sizes a synthetic but realistic fleet: Zipf-like audiences,
// several regions with a home datacenter each, peering ISPs, and trees laid
// out by PlanAll so edges carry streams and report matching egress.
type fleetSpec struct {
	edges, dcs, streams int
	seed                uint64
}

type fleet struct {
	input    Input
	snap     *Snapshot
	now      time.Time
	requests []Request // drawn in proportion to audience
}

func newFleet(tb testing.TB, spec fleetSpec) *fleet {
	tb.Helper()
	rng := rand.New(rand.NewPCG(spec.seed, 42))
	now := t0
	dcs := make([]string, spec.dcs)
	for d := range dcs {
		dcs[d] = fmt.Sprintf("dc%d", d)
	}
	edges := make([]Edge, spec.edges)
	for i := range edges {
		edges[i] = edge(fmt.Sprintf("edge-%03d", i), dcs[i%len(dcs)], 0)
		edges[i].LastSeen = now.Add(-time.Duration(rng.IntN(1000)) * time.Millisecond)
	}

	// Two regions per DC, near it and far from the others.
	regions := make([]string, 2*spec.dcs)
	latency := map[string]map[string]float64{}
	for r := range regions {
		regions[r] = fmt.Sprintf("region%d", r)
		row := map[string]float64{}
		for d, dc := range dcs {
			row[dc] = 40 + rng.Float64()*120
			if d == r/2 {
				row[dc] = 5 + rng.Float64()*20
			}
		}
		latency[regions[r]] = row
	}
	peering := map[uint32][]string{}
	for k := range 20 {
		peering[uint32(64500+k)] = []string{dcs[k%len(dcs)], dcs[(k*3+1)%len(dcs)]}
	}
	dials := DefaultDials()
	dials.OverflowURL = "https://overflow.example/live/{stream}/{path}"
	dials.DCCost = map[string]float64{dcs[0]: 0.2, dcs[len(dcs)-1]: 0.1}

	bitrates := []float64{2.5, 3.5, 4.5, 6}
	orig := map[string]Origin{}
	demand := map[string]Demand{}
	names := make([]string, spec.streams)
	weights := make([]float64, spec.streams)
	for k := range names {
		names[k] = fmt.Sprintf("stream-%04d", k)
		orig[names[k]] = Origin{URL: "https://ingest.example/" + names[k], BitrateMbps: bitrates[rng.IntN(len(bitrates))]}
		viewers := int(3000 / math.Pow(float64(k+1), 1.0))
		byRegion := map[string]int{}
		for range 3 {
			byRegion[regions[rng.IntN(len(regions))]] += viewers / 3
		}
		demand[names[k]] = Demand{Viewers: viewers, Velocity: rng.NormFloat64() * float64(viewers) / 100, ByRegion: byRegion}
		weights[k] = float64(viewers + 1)
	}

	in := Input{Edges: edges, Origins: orig, Demand: demand, Latency: latency, Peering: peering, Dials: dials, Taken: now}
	empty, err := NewSnapshot(in)
	if err != nil {
		tb.Fatal(err)
	}
	index := map[string]int{}
	for i, e := range edges {
		index[e.ID] = i
	}
	for _, p := range PlanAll(empty, now) {
		fill := 0.0
		if p.CapacityMbps > 0 {
			fill = math.Min(1, p.DemandMbps/p.CapacityMbps)
		}
		for _, n := range p.Nodes {
			i := index[n.EdgeID]
			v := int(n.ViewerMbps * fill * float64(p.Viewers) / math.Max(p.DemandMbps, 1e-9) / 1)
			v = min(v, int(n.ViewerMbps/p.BitrateMbps))
			edges[i] = carrying(edges[i], p.Stream, v, n.Parent)
			edges[i].EgressMbps += float64(v+n.Children) * p.BitrateMbps
		}
	}
	in.Edges = edges
	f := &fleet{input: in, snap: mustSnapshot(tb, in), now: now}

	// Requests follow the audience: a cumulative weight table sampled.
	cum := make([]float64, len(weights))
	total := 0.0
	for k, w := range weights {
		total += w
		cum[k] = total
	}
	f.requests = make([]Request, 4096)
	for k := range f.requests {
		x := rng.Float64() * total
		lo, hi := 0, len(cum)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] < x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		r := rng.IntN(len(regions))
		f.requests[k] = Request{
			Stream:    names[lo],
			Path:      "index.m3u8",
			Region:    regions[r],
			ASN:       uint32(64490 + rng.IntN(40)),
			ArrivalDC: dcs[r/2],
			Now:       now.Add(time.Duration(rng.IntN(250)) * time.Millisecond),
		}
	}
	return f
}
