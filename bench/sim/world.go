package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/livetree/livetree/usher/placement"
)

// world is the fixed part of a simulation: datacenters, edges, viewer
// regions, ISPs and streams, all drawn from the seed.
type world struct {
	dcs    []string
	dcCost []float64 // transit price per Mbps; 0 for a peered viewer

	edgeIDs   []string
	edgeURLs  []string
	edgeDC    []int32
	edgeIdx   map[string]int32
	capKbps   []int64
	limKbps   []int64 // Headroom × capacity
	dcCapKbps []int64

	regions    []string
	regionHome []int32   // the datacenter nearest each region
	regionCum  []float64 // cumulative share of the audience per region
	isps       [][]isp   // per region
	latency    map[string]map[string]float64
	peering    map[uint32][]string

	streams []streamInfo
	byName  map[string]int32
	popular alias   // draws a stream in proportion to its base popularity
	meanMb  float64 // popularity-weighted mean bitrate, Mbps
}

// isp is one viewer network; cum is its cumulative share of its region.
type isp struct {
	asn   uint32 // 0 for the long tail of small networks
	cum   float64
	peers uint64 // bit set of datacenters it peers with
}

// streamInfo is what never changes about a stream.
type streamInfo struct {
	name   string
	origin placement.Origin
	kbps   int64
	weight float64 // share of the base audience
	home   int32   // region where half its viewers come from
}

func newWorld(cfg Config, r *rand.Rand) *world {
	w := &world{edgeIdx: make(map[string]int32, cfg.Edges), byName: make(map[string]int32, cfg.Streams)}
	for d := range cfg.DCs {
		w.dcs = append(w.dcs, fmt.Sprintf("dc%d", d))
		w.dcCost = append(w.dcCost, 0.05+0.25*r.Float64())
	}
	for i := range cfg.Edges {
		id := fmt.Sprintf("e%04d", i)
		w.edgeIDs = append(w.edgeIDs, id)
		w.edgeURLs = append(w.edgeURLs, "http://"+id+".fleet.invalid")
		w.edgeDC = append(w.edgeDC, int32(i%cfg.DCs))
		w.edgeIdx[id] = int32(i)
		c := int64(math.Round(cfg.EdgeMbps * 1000))
		w.capKbps = append(w.capKbps, c)
		w.limKbps = append(w.limKbps, int64(math.Floor(cfg.Dials.Headroom*float64(c))))
	}
	w.dcCapKbps = make([]int64, cfg.DCs)
	for i, d := range w.edgeDC {
		w.dcCapKbps[d] += w.capKbps[i]
	}
	w.buildRegions(cfg, r)
	w.buildStreams(cfg, r)
	return w
}

// buildRegions lays out RegionsPerDC regions near each datacenter (5–25
// ms away, 40–160 ms from the others) with their ISPs.
func (w *world) buildRegions(cfg Config, r *rand.Rand) {
	w.latency = make(map[string]map[string]float64)
	w.peering = make(map[uint32][]string)
	n := cfg.DCs * cfg.RegionsPerDC
	total := 0.0
	for k := range n {
		name := "region" + strconv.Itoa(k)
		home := int32(k / cfg.RegionsPerDC)
		w.regions = append(w.regions, name)
		w.regionHome = append(w.regionHome, home)
		total += 0.5 + r.Float64()
		w.regionCum = append(w.regionCum, total)
		row := make(map[string]float64, cfg.DCs)
		for d, dc := range w.dcs {
			row[dc] = 40 + 120*r.Float64()
			if int32(d) == home {
				row[dc] = 5 + 20*r.Float64()
			}
		}
		w.latency[name] = row

		// ISP shares fall off as 1/rank; the long tail of small networks
		// (ASN 0, no peering) takes a fifth of the region.
		var list []isp
		cum := 0.2
		list = append(list, isp{cum: cum})
		h := 0.0
		for j := range cfg.ISPsPerRegion {
			h += 1 / float64(j+1)
		}
		for j := range cfg.ISPsPerRegion {
			cum += 0.8 / float64(j+1) / h
			e := isp{asn: uint32(64512 + k*cfg.ISPsPerRegion + j), cum: cum}
			if r.Float64() < cfg.PeeredShare {
				e.peers |= 1 << uint(home)
				if r.Float64() < 0.3 {
					e.peers |= 1 << uint(r.IntN(cfg.DCs))
				}
				for d := range cfg.DCs {
					if e.peers&(1<<uint(d)) != 0 {
						w.peering[e.asn] = append(w.peering[e.asn], w.dcs[d])
					}
				}
			}
			list = append(list, e)
		}
		list[len(list)-1].cum = 1
		w.isps = append(w.isps, list)
	}
	for k := range w.regionCum {
		w.regionCum[k] /= total
	}
}

// buildStreams draws each stream's bitrate and home region and sets its
// share of the base audience by Zipf popularity.
func (w *world) buildStreams(cfg Config, r *rand.Rand) {
	weights := make([]float64, cfg.Streams)
	total := 0.0
	for k := range cfg.Streams {
		weights[k] = 1 / math.Pow(float64(k+1), cfg.Zipf)
		total += weights[k]
	}
	w.streams = make([]streamInfo, cfg.Streams)
	for k := range w.streams {
		name := fmt.Sprintf("s%04d", k)
		mbps := cfg.Bitrates[r.IntN(len(cfg.Bitrates))]
		w.streams[k] = streamInfo{
			name:   name,
			origin: placement.Origin{URL: "http://origin.invalid/live/" + name, BitrateMbps: mbps},
			weight: weights[k] / total,
			home:   w.drawRegion(r),
		}
		w.byName[name] = int32(k)
	}
	w.popular = newAlias(weights)
	w.updateMean()
}

// setBitrate changes a stream's bitrate (surging streams use the surge
// bitrate) and keeps the mean current.
func (w *world) setBitrate(k int32, mbps float64) {
	w.streams[k].origin.BitrateMbps = mbps
	w.updateMean()
}

func (w *world) updateMean() {
	w.meanMb = 0
	for k := range w.streams {
		st := &w.streams[k]
		st.kbps = int64(math.Round(st.origin.BitrateMbps * 1000))
		w.meanMb += st.weight * st.origin.BitrateMbps
	}
}

func (w *world) drawRegion(r *rand.Rand) int32 {
	u := r.Float64()
	for k, c := range w.regionCum {
		if u < c {
			return int32(k)
		}
	}
	return int32(len(w.regionCum) - 1)
}

// drawViewer draws a viewer of stream k: half come from the stream's home
// region, the rest from anywhere; the ISP follows the region's shares.
func (w *world) drawViewer(r *rand.Rand, k int32) (region int32, net *isp) {
	region = w.streams[k].home
	if r.Float64() >= 0.5 {
		region = w.drawRegion(r)
	}
	list := w.isps[region]
	u := r.Float64()
	for i := range list {
		if u < list[i].cum {
			return region, &list[i]
		}
	}
	return region, &list[len(list)-1]
}
