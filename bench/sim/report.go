package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/livetree/livetree/bench/report"
)

// Model figures the report compares against: Justin.tv/Twitch's usher
// fleet as the brief describes it.
const (
	modelServers  = 200
	modelMeanGbps = 45
	modelPeakGbps = 110
	modelEvent    = 500
	modelRebuildS = 3
)

// Report renders the result as a bench report; command is the command
// line that produced it.
func (r *Result) Report(command []string, start, end time.Time) *report.Report {
	c := r.Config
	rep := &report.Report{
		Title:   fmt.Sprintf("bench sim — %d edges, %d streams, %s simulated (seed %d)", c.Edges, c.Streams, c.Duration, c.Seed),
		Mode:    "sim",
		Command: command,
		Start:   start,
		End:     end,
	}
	r.params(rep)
	r.figures(rep)
	r.charts(rep)
	r.dists(rep)
	r.surgeTable(rep)
	r.dcTable(rep)
	rep.Notes = notes(c)
	return rep
}

func (r *Result) params(rep *report.Report) {
	c := r.Config
	d := c.Dials
	for _, p := range [][2]string{
		{"seed", strconv.FormatUint(c.Seed, 10)},
		{"duration", c.Duration.String()},
		{"fleet", fmt.Sprintf("%d edges × %g Mbps in %d datacenters", c.Edges, c.EdgeMbps, c.DCs)},
		{"streams", fmt.Sprintf("%d, Zipf exponent %g, bitrates %v Mbps", c.Streams, c.Zipf, c.Bitrates)},
		{"daily curve", fmt.Sprintf("mean %g Gbps, peak %g Gbps at %g:00, start at %g:00", c.MeanGbps, c.PeakGbps, c.PeakHour, c.StartHour)},
		{"event", eventParam(c)},
		{"surges", fmt.Sprintf("%d viewers in %s at %g Mbps; %d standalone", c.SurgeViewers, c.SurgeRamp, c.SurgeBitrateMbps, c.Surges)},
		{"viewing time", "exponential, mean " + c.MeanWatch.String()},
		{"usher", fmt.Sprintf("snapshot every %s, plan every %s (sweep %s, all streams: %v), ≤ %d decisions per stream per refresh", c.Refresh, c.PlanEvery, c.PlanSweep, c.PlanAllStreams, c.MaxDecisions)},
		{"dials", fmt.Sprintf("headroom %g, fan-out %d, origin fan-out %d, horizon %s, shrink margin %g, DC cost %v", d.Headroom, d.FanOut, d.OriginFanOut, d.Horizon, d.ShrinkMargin, fmtCosts(d.DCCost))},
	} {
		rep.Param(p[0], p[1])
	}
}

func eventParam(c Config) string {
	if c.EventGbps == 0 || c.EventAt >= c.Duration {
		return "none in this run"
	}
	return fmt.Sprintf("%g Gbps at %s for %s", c.EventGbps, c.EventAt, c.EventLength)
}

func fmtCosts(m map[string]float64) string {
	var parts []string
	for d := range len(m) {
		dc := "dc" + strconv.Itoa(d)
		if v, ok := m[dc]; ok {
			parts = append(parts, fmt.Sprintf("%s %.3f", dc, v))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *Result) figures(rep *report.Report) {
	c := r.Config
	fleetGbps := float64(c.Edges) * c.EdgeMbps / 1000
	worstGrow, worstLag := math.NaN(), math.NaN()
	for _, s := range r.Surges {
		if math.IsNaN(worstGrow) || s.GrowSeconds > worstGrow {
			worstGrow = s.GrowSeconds
		}
		if math.IsNaN(worstLag) || s.MaxLagSeconds > worstLag {
			worstLag = s.MaxLagSeconds
		}
	}
	tree := r.treeDist()
	wallS := r.Wall.Total.Seconds()
	add := func(key, name string, v float64, unit, target string) *report.Figure {
		return rep.Add(report.Figure{Key: key, Name: name, Value: v, Unit: unit, Target: target})
	}
	add("fleet_gbps", "fleet capacity", fleetGbps, "Gbps", fmt.Sprintf("model: %d servers × 1 Gbps", modelServers))
	add("base_mean_gbps", "demand without events and surges, mean", r.BaseMeanGbps, "Gbps", fmt.Sprintf("model: %d Gbps", modelMeanGbps))
	add("base_peak_gbps", "demand without events and surges, peak", r.BasePeakGbps, "Gbps", fmt.Sprintf("model: %d Gbps", modelPeakGbps))
	add("base_overflow_share", "overflow share without events and surges", r.BaseOverflowShare, report.UnitFraction, "0 on a day without them")
	add("demand_mean_gbps", "demand, mean", r.MeanDemandGbps, "Gbps", "")
	add("demand_peak_gbps", "demand, peak", r.PeakDemandGbps, "Gbps", fmt.Sprintf("model: %d Gbps events", modelEvent))
	add("served_mean_gbps", "served by edges, mean", r.MeanServedGbps, "Gbps", "")
	add("served_peak_gbps", "served by edges, peak", r.PeakServedGbps, "Gbps", fmt.Sprintf("≤ %.0f Gbps (fleet × headroom)", fleetGbps*c.Dials.Headroom))
	add("overflow_share", "overflow share of viewer bytes", r.OverflowShare, report.UnitFraction, "whatever the fleet cannot carry")
	add("viewers_peak", "concurrent viewers, peak", float64(r.PeakViewers), "", "")
	add("edge_util_max", "edge utilisation, max", r.MaxEdgeUtil, report.UnitFraction, "≤ 100 %")
	add("fleet_util_mean", "fleet utilisation, mean", r.MeanFleetUtil, report.UnitFraction, fmt.Sprintf("model: %d of %d Gbps = %.1f %%", modelMeanGbps, modelServers, 100.0*modelMeanGbps/modelServers))
	add("edge_util_p99", "edge utilisation, p99 of edge-seconds", r.utilDist().Quantile(0.99), report.UnitFraction, "")
	add("above_headroom", "edge-seconds above headroom", r.AboveHeadroom, report.UnitFraction, fmt.Sprintf("headroom %g", c.Dials.Headroom))
	v := add("capacity_violations", "edge checks past capacity", float64(r.Violations), "", "0")
	v.Limit = &report.Limit{Max: true, Value: 0}
	add("capacity_violations_plan", "of which found right after a plan", float64(r.ViolationsAfterPlan), "", "0")
	add("max_over_mbps", "worst excess over capacity", r.MaxOverMbps, "Mbps", "0")
	add("surge_grow_s", "surge → tree grown enough, worst", worstGrow, "s", fmt.Sprintf("model: %d s tree rebuild", modelRebuildS))
	add("surge_lag_s", "tree behind surge demand, worst", worstLag, "s", fmt.Sprintf("model: %d s", modelRebuildS))
	add("tree_mean", "servers per stream, mean", tree.Mean(), "edges", "")
	add("tree_p99", "servers per stream, p99", tree.Quantile(0.99), "edges", "")
	add("tree_max", "servers per stream, max", float64(r.MaxTree), "edges", "")
	add("peered_share", "edge viewer bytes to peered ISPs", r.PeeredShare, report.UnitFraction, "free")
	add("transit_share", "edge viewer bytes over transit", 1-r.PeeredShare, report.UnitFraction, "priced by DC cost")
	add("transit_cost", "transit cost", r.TransitCost, "DC cost × Mbps·h", "")
	add("relay_share", "relay feeds, share of edge egress", r.RelayShare, report.UnitFraction, "")
	add("inter_dc_relay_share", "relay feeds crossing datacenters", r.InterDCRelayShare, report.UnitFraction, "")
	add("decisions", "placement decisions", float64(r.Decisions), "", "")
	add("viewers_placed", "viewers sent to an edge", float64(r.Placed), "", "")
	add("viewers_overflowed", "viewers sent to the overflow CDN", float64(r.Overflowed), "", "")
	add("viewers_moved", "viewers moved by tree shrinks", float64(r.Moved), "", "")
	add("viewers_shed", "viewers shed from edges past capacity", float64(r.Shed), "", "0")
	add("edges_started", "edges that started a stream between plans", float64(r.Started), "", "")
	add("streams_per_plan", "streams planned per PlanAll, mean", ratio(float64(r.Planned), float64(r.Plans)), "", "")
	add("decisions_per_wall_s", "decisions per second of wall time", ratio(float64(r.Decisions), r.Wall.Choose.Seconds()), "1/s", "")
	add("sim_speed", "simulated seconds per wall second", ratio(float64(r.Seconds), wallS), "×", "a day in < 60 s: ≥ 1,440 ×")
	add("wall_s", "wall time", wallS, "s", "")
}

// treeDist is the servers-per-stream distribution over the samples.
func (r *Result) treeDist() report.Dist {
	d := report.Dist{Key: "servers_per_stream", Title: "Servers per stream (streams with viewers on edges, sampled)", Unit: "edges"}
	for size, n := range r.TreeHist {
		if n > 0 {
			d.Values = append(d.Values, float64(size))
			d.Weights = append(d.Weights, float64(n))
		}
	}
	return d
}

// utilDist is the distribution of edge utilisation over edge-seconds.
func (r *Result) utilDist() report.Dist {
	d := report.Dist{Key: "edge_utilisation", Title: "Edge utilisation (all edge-seconds)", Unit: report.UnitFraction}
	for bin, n := range r.UtilHist {
		if n > 0 {
			d.Values = append(d.Values, float64(bin)/100)
			d.Weights = append(d.Weights, float64(n))
		}
	}
	return d
}

func (r *Result) dists(rep *report.Report) {
	rep.Dists = append(rep.Dists, r.treeDist(), r.utilDist())
}

func points(t, v []float64) []report.Point {
	out := make([]report.Point, len(v))
	for i := range v {
		out[i] = report.Point{X: t[i], Y: v[i]}
	}
	return out
}

func (r *Result) charts(rep *report.Report) {
	s := &r.Series
	rep.Charts = append(rep.Charts,
		report.Chart{Key: "traffic", Title: "Traffic: demand, edge egress, relay", XUnit: "s", YUnit: "Gbps", Series: []report.Series{
			{Name: "demand", Points: points(s.T, s.Demand)},
			{Name: "edge egress (viewers + relay)", Points: points(s.T, s.Egress)},
			{Name: "relay feeds", Points: points(s.T, s.Relay)},
		}},
		report.Chart{Key: "served_overflow", Title: "Served by edges vs overflow CDN (stacked)", XUnit: "s", YUnit: "Gbps", Stacked: true, Series: []report.Series{
			{Name: "served by edges", Points: points(s.T, s.Served)},
			{Name: "overflow CDN", Points: points(s.T, s.Overflow)},
		}},
	)
	util := report.Chart{Key: "dc_utilisation", Title: "Utilisation by datacenter, and the busiest edge", XUnit: "s", YUnit: report.UnitFraction}
	for d, name := range s.DCs {
		util.Series = append(util.Series, report.Series{Name: name, Points: points(s.T, s.DCUtil[d])})
	}
	util.Series = append(util.Series, report.Series{Name: "busiest edge", Points: points(s.T, s.MaxEdgeUtil)})
	rep.Charts = append(rep.Charts, util)
	if len(r.Surges) == 0 {
		return
	}
	size := report.Chart{Key: "surge_tree_size", Title: "Tree size of each surging stream (seconds from the surge's start)", XUnit: "s", YUnit: "edges"}
	for _, sr := range r.Surges {
		size.Series = append(size.Series, report.Series{Name: surgeName(sr), Points: sr.rel(sr.Size)})
	}
	rep.Charts = append(rep.Charts, size)
	for i, sr := range r.Surges {
		rep.Charts = append(rep.Charts, report.Chart{
			Key: "surge_" + strconv.Itoa(i), Title: "Surge " + surgeName(sr) + ": demand, served and planned tree capacity", XUnit: "s", YUnit: "Gbps",
			Series: []report.Series{
				{Name: "demand", Points: sr.rel(sr.Demand)},
				{Name: "served by edges", Points: sr.rel(sr.Served)},
				{Name: "tree capacity (last plan)", Points: sr.rel(sr.Capacity)},
			},
		})
	}
}

// rel returns a surge's per-second series with x in seconds from its
// start.
func (sr *SurgeResult) rel(v []float64) []report.Point {
	off := (sr.From - sr.At).Seconds()
	out := make([]report.Point, len(v))
	for i, y := range v {
		out[i] = report.Point{X: off + float64(i), Y: y}
	}
	return out
}

func surgeName(sr SurgeResult) string {
	return fmt.Sprintf("%s at %s", sr.Stream, clock(sr.At))
}

// clock renders a duration since the start as h:mm.
func clock(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	return fmt.Sprintf("%d:%02d", m/60, m%60)
}

func (r *Result) dcTable(rep *report.Report) {
	t := report.Table{Title: "Datacenters", Columns: []string{"datacenter", "edges", "transit price", "mean utilisation", "transit traffic, mean", "transit cost"}}
	for _, d := range r.DCs {
		t.Rows = append(t.Rows, []string{d.Name, strconv.Itoa(d.Edges), report.FormatValue(d.Price, "per Mbps"),
			report.FormatValue(d.MeanUtil, report.UnitFraction), report.FormatValue(d.TransitGbps, "Gbps"), report.FormatValue(d.TransitCost, "")})
	}
	rep.Tables = append(rep.Tables, t)
}

func (r *Result) surgeTable(rep *report.Report) {
	if len(r.Surges) == 0 {
		return
	}
	t := report.Table{Title: "Surges", Columns: []string{"stream", "kind", "at", "viewers", "peak demand", "largest tree", "edges", "grown after", "worst lag", "overflowed"}}
	for _, sr := range r.Surges {
		t.Rows = append(t.Rows, []string{
			sr.Stream, sr.Kind, clock(sr.At), report.FormatValue(float64(sr.Viewers), ""),
			report.FormatValue(sr.PeakDemandGbps, "Gbps"), report.FormatValue(sr.PeakCapacityGbps, "Gbps"),
			strconv.Itoa(sr.PeakEdges), report.FormatValue(sr.GrowSeconds, "s"), report.FormatValue(sr.MaxLagSeconds, "s"),
			report.FormatValue(sr.OverflowShare, report.UnitFraction),
		})
	}
	rep.Tables = append(rep.Tables, t)
}

// notes explain how to read the figures and the model's approximations.
func notes(c Config) []string {
	return []string{
		"Placement and tree planning are usher's own code (usher/placement): every arriving viewer gets a Ledger.Choose decision against a snapshot rebuilt every " + c.Refresh.String() + " of virtual time, and PlanAll plans the trees every " + c.PlanEvery.String() + "; edges apply each plan at once.",
		"Viewers are counts per stream and edge, not individuals. Up to " + strconv.Itoa(c.MaxDecisions) + " arrivals of one stream in one refresh are decided one by one; more are decided in that many equal groups, each group sharing one region and ISP and filling the chosen edge (the ledger reserving every viewer) before the next decision.",
		"PlanAll runs over the streams whose audience or tree changed since their last plan, plus a rolling sweep that replans every other stream at least every " + c.PlanSweep.String() + "; the other streams' load stays in the edges' egress. The usher server plans every stream every time (flag -plan-all does the same here, about eight times slower).",
		"A snapshot holds only the streams it is about (the refresh's arrivals, or the streams being planned), while every edge reports its whole egress; snapshots and the usher's demand (arrivals over 10 s, velocity over 5 s, by region) are otherwise built as the server builds them, and edges report instantly.",
		"An edge sent a stream's first viewer between plans pulls it from the parent the usher server would name (the first planned edge with fewer planned children than the fan-out, same datacenter first, else the origin). Viewers on an edge that a plan removes from a tree are placed again at once (viewers moved); viewers sent to the overflow CDN stay there until they leave.",
		"Capacity is checked after the arrivals and again after the plan, every tick; an edge past capacity would count as a violation and shed viewers to be placed again. Surge growth: a tree is grown enough once the last plan's capacity covers 95 % of the demand, or the planner reports the fleet full.",
		"Audience: Zipf popularity, exponential viewing times, arrivals following a daily curve (((1+cos)/2)³ shape) plus the event and the surges; viewer regions, ISPs, peering and DC prices are drawn from the seed.",
	}
}
