package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

// Which set of per-edge stream maps a snapshot is built from. Choices and
// plans use separate sets so that refilling one never touches the maps of
// a snapshot still in use.
const (
	forChoose = 0
	forPlan   = 1
)

// usher plays the usher server against the simulated fleet with the real
// placement package: it builds snapshots, decides each viewer with a
// Ledger, plans trees with PlanAll, and picks a parent for an edge that
// starts a stream between plans the way the server's parent endpoint
// does.
//
// A snapshot holds only the streams it is about (those with arrivals in
// the refresh, or those being planned), while every edge's egress is its
// whole load; NewSnapshot then costs in proportion to those streams, not
// to all 2,000.
type usher struct {
	cfg   Config
	w     *world
	f     *fleet
	attrs *rand.Rand
	st    *counters

	edges   []placement.Edge
	maps    [2][]map[string]placement.StreamOnEdge
	touched [2][]int32
	origins map[string]placement.Origin
	demand  map[string]placement.Demand
	// overflow is handed to snapshots: the last plan's share of new
	// viewers to steer to the overflow CDN, per stream name; shares holds
	// it per stream index.
	overflow map[string]float64
	shares   []float64
	// byRegion is per stream, reused; regionArr is the slab of recent
	// arrivals per stream, ring slot and region.
	byRegion  []map[string]int
	regionArr []int32
	ledger    *placement.Ledger
	full      []int64 // per stream: the epoch in which it last overflowed
	epoch     int64
	scratch   []hold
	// err is the first decision that could not have happened, such as a
	// stream missing from its snapshot; the step checks it.
	err error
}

func newUsher(cfg Config, w *world, f *fleet, attrs *rand.Rand, st *counters) *usher {
	u := &usher{
		cfg: cfg, w: w, f: f, attrs: attrs, st: st,
		edges:     make([]placement.Edge, len(w.edgeIDs)),
		origins:   make(map[string]placement.Origin),
		demand:    make(map[string]placement.Demand),
		overflow:  make(map[string]float64),
		shares:    make([]float64, len(w.streams)),
		byRegion:  make([]map[string]int, len(w.streams)),
		regionArr: make([]int32, len(w.streams)*ring*len(w.regions)),
		full:      make([]int64, len(w.streams)),
	}
	for i := range u.edges {
		u.edges[i] = placement.Edge{ID: w.edgeIDs[i], URL: w.edgeURLs[i], DC: w.dcs[w.edgeDC[i]], CapacityMbps: float64(w.capKbps[i]) / 1000, State: placement.EdgeActive}
	}
	for m := range u.maps {
		u.maps[m] = make([]map[string]placement.StreamOnEdge, len(u.edges))
		for i := range u.maps[m] {
			u.maps[m][i] = make(map[string]placement.StreamOnEdge)
		}
	}
	return u
}

// snapshot builds a placement snapshot at now of the fleet's load and of
// the given streams, with their demand when withDemand.
func (u *usher) snapshot(now time.Time, set []int32, which int, withDemand bool, sec int64) (*placement.Snapshot, error) {
	maps := u.maps[which]
	for _, e := range u.touched[which] {
		clear(maps[e])
	}
	u.touched[which] = u.touched[which][:0]
	clear(u.origins)
	clear(u.demand)
	clear(u.overflow)
	for i := range u.edges {
		e := &u.edges[i]
		e.EgressMbps = float64(u.f.egress[i]) / 1000
		e.LastSeen = now
		e.Streams = maps[i]
	}
	for _, k := range set {
		info := &u.w.streams[k]
		u.origins[info.name] = info.origin
		if sh := u.shares[k]; sh > 0 {
			u.overflow[info.name] = sh
		}
		for _, h := range u.f.streams[k].holds {
			m := maps[h.edge]
			if len(m) == 0 {
				u.touched[which] = append(u.touched[which], h.edge)
			}
			parent := ""
			if h.parent != origin {
				parent = u.w.edgeIDs[h.parent]
			}
			m[info.name] = placement.StreamOnEdge{Viewers: int(h.viewers), Parent: parent}
		}
		if withDemand {
			u.demand[info.name] = u.demandOf(k, sec)
		}
	}
	snap, err := placement.NewSnapshot(placement.Input{
		Edges:    u.edges,
		Origins:  u.origins,
		Demand:   u.demand,
		Overflow: u.overflow,
		Latency:  u.w.latency,
		Peering:  u.w.peering,
		Dials:    u.cfg.Dials,
		Taken:    now,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrInvariant, err)
	}
	return snap, nil
}

// recordArrival counts n arrivals of stream k from region at second sec,
// as usher's per-second buckets do.
func (u *usher) recordArrival(k int32, sec int64, region int32, n int32) {
	st := &u.f.streams[k]
	slot := int(((sec % ring) + ring) % ring)
	regions := len(u.w.regions)
	base := (int(k)*ring + slot) * regions
	if st.ringSec[slot] != sec {
		st.ringSec[slot] = sec
		st.ringArr[slot] = 0
		clear(u.regionArr[base : base+regions])
	}
	st.ringArr[slot] += n
	u.regionArr[base+int(region)] += n
}

// demandOf is stream k's demand as usher measures it at the end of second
// sec: arrivals over the last ten seconds as viewers (the planner takes
// the larger of that and what the edges report), arrivals over the last
// five as velocity, and the same ten seconds split by region.
func (u *usher) demandOf(k int32, sec int64) placement.Demand {
	st := &u.f.streams[k]
	regions := len(u.w.regions)
	var d placement.Demand
	recent := 0
	m := u.byRegion[k]
	for slot := range ring {
		age := sec - st.ringSec[slot]
		if st.ringArr[slot] == 0 || age < 0 || age >= ring {
			continue
		}
		d.Viewers += int(st.ringArr[slot])
		if age < velocityWin {
			recent += int(st.ringArr[slot])
		}
		if m == nil {
			m = make(map[string]int, regions)
			u.byRegion[k] = m
		}
		base := (int(k)*ring + slot) * regions
		for r, n := range u.regionArr[base : base+regions] {
			if n > 0 {
				m[u.w.regions[r]] += int(n)
			}
		}
	}
	d.Velocity = float64(recent) / velocityWin
	if d.Viewers > 0 {
		d.ByRegion = m
	}
	return d
}

// resetDemandMaps clears the by-region maps handed to the last plan
// snapshot, once it is no longer in use.
func (u *usher) resetDemandMaps(set []int32) {
	for _, k := range set {
		clear(u.byRegion[k])
	}
}

// place decides where n viewers of stream k go, against the ledger's
// snapshot. Up to MaxDecisions viewers are decided one by one; more are
// split into MaxDecisions equal groups. Arrivals (not viewers moved off an
// edge) are counted in usher's demand.
func (u *usher) place(k int32, n int32, arrival bool, sec int64) {
	size := int32(1)
	if n > int32(u.cfg.MaxDecisions) {
		size = (n + int32(u.cfg.MaxDecisions) - 1) / int32(u.cfg.MaxDecisions)
	}
	for n > 0 {
		g := min(size, n)
		n -= g
		region, net := u.w.drawViewer(u.attrs, k)
		if arrival {
			u.recordArrival(k, sec, region, g)
		}
		u.placeGroup(k, g, region, net)
	}
}

// placeGroup places g viewers of one region and ISP: one decision, then as
// many of them as the chosen edge has room for, reserved in the ledger,
// and again for the rest.
func (u *usher) placeGroup(k, g, region int32, net *isp) {
	if u.full[k] == u.epoch {
		// An earlier viewer of this stream found no room in this refresh;
		// the ledger only fills up, so neither will these.
		u.f.overflowed(k, g)
		u.st.overflowed += int64(g)
		return
	}
	info := &u.w.streams[k]
	req := placement.Request{Stream: info.name, Path: "index.m3u8", Region: u.w.regions[region], ASN: net.asn, ArrivalDC: u.w.dcs[u.w.regionHome[region]]}
	b := info.origin.BitrateMbps
	for g > 0 {
		d := u.ledger.Choose(req)
		u.st.decisions++
		if d.Reason == placement.ReasonUnknownStream && u.err == nil {
			u.err = fmt.Errorf("%w: stream %s missing from its snapshot", ErrInvariant, info.name)
		}
		best, ok := d.Best()
		if d.Overflow || !ok {
			if d.Reason != placement.ReasonPlannedOverflow {
				u.full[k] = u.epoch
			}
			u.f.overflowed(k, g)
			u.st.overflowed += int64(g)
			return
		}
		e := u.w.edgeIdx[best.Edge.ID]
		// Choose reserved one viewer; the edge takes more while it stays
		// within Headroom, the same test Choose applies to each viewer.
		used := best.Edge.EgressMbps + u.ledger.ReservedMbps(best.Edge.ID)
		room := int32(math.Floor((u.cfg.Dials.Headroom*best.Edge.CapacityMbps - used) / b))
		take := 1 + max(0, min(g-1, room))
		for range take - 1 {
			u.ledger.Reserve(best.Edge.ID, info.name)
		}
		h := u.f.holdOn(k, e)
		if h == nil {
			h = u.start(k, e, best.Parent)
		}
		var peered int32
		if net.peers&(1<<uint(u.w.edgeDC[e])) != 0 {
			peered = take
		}
		u.f.serve(k, h, take, peered)
		u.st.placed += int64(take)
		g -= take
	}
}

// start makes edge e carry stream k outside the plan, as an edge does when
// usher sends it the stream's first viewer. Its parent is the one the
// decision charged (placement's parent rule, which the usher server's
// parent endpoint answers with), nil meaning the origin.
func (u *usher) start(k, e int32, par *placement.Edge) *hold {
	st := &u.f.streams[k]
	st.ensurePos(len(u.w.edgeIDs))
	parent := origin
	if par != nil {
		parent = u.w.edgeIdx[par.ID]
	}
	if parent != origin {
		st.holds[st.pos[parent]].kids++
	} else {
		st.originAdd++
	}
	st.holds = append(st.holds, hold{edge: e, parent: parent})
	st.pos[e] = int16(len(st.holds) - 1)
	h := &st.holds[len(st.holds)-1]
	u.f.feed(k, h, 1)
	st.dirty = true
	u.st.started++
	return h
}

// apply makes stream k's tree the plan's: edges join, change parent or
// leave. Viewers stay on the edges that remain; those on an edge that
// leaves must be placed again (usher redirects them anew).
func (u *usher) apply(k int32, p *placement.TreePlan, tick int64) {
	f := u.f
	st := &f.streams[k]
	for i := range st.holds {
		f.feed(k, &st.holds[i], -1)
	}
	old := append(u.scratch[:0], st.holds...)
	u.scratch = old
	if len(p.Nodes) > 0 {
		st.ensurePos(len(u.w.edgeIDs))
	}
	for _, h := range old {
		st.pos[h.edge] = -1
	}
	st.holds = st.holds[:0]
	for _, n := range p.Nodes {
		e := u.w.edgeIdx[n.EdgeID]
		par := origin
		if n.Parent != "" {
			par = u.w.edgeIdx[n.Parent]
		}
		st.holds = append(st.holds, hold{edge: e, parent: par, kids: int32(n.Children), plannedKids: int32(n.Children), planned: true})
		st.pos[e] = int16(len(st.holds) - 1)
	}
	for i := range old {
		h := &old[i]
		if h.viewers == 0 {
			continue
		}
		if nh := f.holdOn(k, h.edge); nh != nil {
			nh.viewers, nh.peered = h.viewers, h.peered
			continue
		}
		n := h.viewers
		f.serve(k, h, -n, -h.peered)
		st.migrants += n
		u.st.moved += int64(n)
	}
	for i := range st.holds {
		f.feed(k, &st.holds[i], 1)
	}
	st.lastPlan, st.dirty, st.originAdd = tick, false, 0
	st.planCap, st.planShort = p.CapacityMbps, p.ShortfallMbps
	u.shares[k] = p.ArrivalOverflowShare
}

// shed takes viewers off edge e until its egress is back within capacity,
// from the streams it carries in index order; they are placed again. It
// returns the kbps it could not shed (feeds to children alone).
func (u *usher) shed(e int32) int64 {
	f := u.f
	over := f.egress[e] - u.w.capKbps[e]
	for k := range f.streams {
		if over <= 0 {
			break
		}
		h := f.holdOn(int32(k), e)
		if h == nil || h.viewers == 0 {
			continue
		}
		kbps := u.w.streams[k].kbps
		n := min(h.viewers, int32((over+kbps-1)/kbps))
		p := int32(int64(n) * int64(h.peered) / int64(h.viewers))
		f.serve(int32(k), h, -n, -p)
		f.streams[k].migrants += n
		f.streams[k].dirty = true
		u.st.shed += int64(n)
		over -= int64(n) * kbps
	}
	return max(over, 0)
}
