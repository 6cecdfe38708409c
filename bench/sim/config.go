package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

// Tick is the simulation step: arrivals and departures are drawn per tick,
// and the capacity and conservation invariants are checked after each.
const Tick = time.Second

// Config sizes the fleet and its audience. DefaultConfig returns the
// model's figures (Justin.tv/Twitch usher): 200 edges of 1 Gbps in 4
// datacenters, 2,000 live streams, a day averaging 45 Gbps with an evening
// peak of 110 Gbps, an event that takes demand to 500 Gbps, and streams
// that gain 100,000 viewers in a minute.
type Config struct {
	Seed     uint64
	Duration time.Duration
	// Warmup is simulated before the clock starts, with the audience
	// ramping up from nothing to its level at the start, so a run begins
	// from a settled fleet; nothing is recorded during it.
	Warmup time.Duration

	// Refresh is how often usher rebuilds its snapshot (and resets its
	// ledger); it must divide Tick.
	Refresh time.Duration
	// PlanEvery is how often the tree planner runs, a multiple of Tick.
	PlanEvery time.Duration
	// PlanSweep is the longest a stream with viewers goes without being
	// planned. Streams whose audience or tree changed are planned at every
	// PlanEvery; the others are planned in a rolling sweep.
	PlanSweep time.Duration
	// PlanAllStreams plans every stream at every PlanEvery, as the usher
	// server does; it is exact but about eight times slower.
	PlanAllStreams bool
	// MaxDecisions bounds the placement decisions for one stream in one
	// refresh: when more viewers arrive, they are decided in equal groups,
	// each group taking one region and ISP and as many viewers as the
	// chosen edge has room for.
	MaxDecisions int

	Edges    int
	DCs      int
	EdgeMbps float64

	Streams int
	// Zipf is the exponent of stream popularity: the k-th stream draws an
	// audience in proportion to 1/k^Zipf.
	Zipf float64
	// Bitrates are drawn uniformly for each stream, in Mbps.
	Bitrates []float64
	// MeanWatch is the mean viewing time; durations are exponential.
	MeanWatch time.Duration

	// MeanGbps and PeakGbps shape the daily curve of demand; PeakHour is
	// when it peaks and StartHour the time of day the run starts at.
	MeanGbps  float64
	PeakGbps  float64
	PeakHour  float64
	StartHour float64

	// EventGbps is the total demand at the event's peak: its headline
	// stream surges by SurgeViewers at EventAt, and EventStreams other
	// streams rise over ten minutes by whatever else it takes to reach
	// EventGbps. An event at or after Duration, or EventGbps 0, is off.
	EventGbps    float64
	EventAt      time.Duration
	EventLength  time.Duration
	EventStreams int

	// SurgeViewers join one stream within SurgeRamp, stay SurgeHold and
	// leave over SurgeDecay; the event's headline stream surges, and so do
	// Surges other streams spread evenly over the run.
	SurgeViewers     int
	SurgeRamp        time.Duration
	SurgeHold        time.Duration
	SurgeDecay       time.Duration
	Surges           int
	SurgeBitrateMbps float64

	// RegionsPerDC viewer regions lie near each datacenter; each region
	// has ISPsPerRegion ISPs, and PeeredShare of the ISPs peer with their
	// region's datacenter (some with a second one).
	RegionsPerDC  int
	ISPsPerRegion int
	PeeredShare   float64

	// Sample is the resolution of the recorded time series; 0 picks one
	// that gives about 1,440 points.
	Sample time.Duration

	// Dials are placement's dials; DCCost is filled from the seed when
	// empty.
	Dials placement.Dials
}

// DefaultConfig returns the model's fleet and day.
func DefaultConfig() Config {
	d := placement.DefaultDials()
	d.OverflowURL = "https://overflow.invalid/live/{stream}/{path}"
	return Config{
		Seed:             1,
		Duration:         24 * time.Hour,
		Warmup:           5 * time.Minute,
		Refresh:          250 * time.Millisecond,
		PlanEvery:        time.Second,
		PlanSweep:        30 * time.Second,
		MaxDecisions:     100,
		Edges:            200,
		DCs:              4,
		EdgeMbps:         1000,
		Streams:          2000,
		Zipf:             1,
		Bitrates:         []float64{2.5, 3.5, 4.5, 6},
		MeanWatch:        30 * time.Minute,
		MeanGbps:         45,
		PeakGbps:         110,
		PeakHour:         21,
		EventGbps:        500,
		EventAt:          20 * time.Hour,
		EventLength:      2 * time.Hour,
		EventStreams:     8,
		SurgeViewers:     100_000,
		SurgeRamp:        time.Minute,
		SurgeHold:        10 * time.Minute,
		SurgeDecay:       10 * time.Minute,
		Surges:           2,
		SurgeBitrateMbps: 4,
		RegionsPerDC:     2,
		ISPsPerRegion:    5,
		PeeredShare:      0.5,
		Dials:            d,
	}
}

// Validate reports every setting the simulator cannot run with, wrapped
// in ErrInvalidConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Duration < Tick || c.Duration%Tick != 0 {
		bad("duration must be a whole number of seconds >= 1s, got %v", c.Duration)
	}
	if c.Warmup < 0 || c.Warmup%Tick != 0 {
		bad("warmup must be a whole number of seconds >= 0, got %v", c.Warmup)
	}
	if c.Refresh <= 0 || Tick%c.Refresh != 0 {
		bad("refresh must divide %v, got %v", Tick, c.Refresh)
	}
	if c.PlanEvery < Tick || c.PlanEvery%Tick != 0 {
		bad("plan interval must be a whole number of seconds, got %v", c.PlanEvery)
	}
	if c.PlanSweep < c.PlanEvery {
		bad("plan sweep %v is shorter than the plan interval %v", c.PlanSweep, c.PlanEvery)
	}
	if c.MaxDecisions < 1 {
		bad("max decisions must be >= 1, got %d", c.MaxDecisions)
	}
	if c.Edges < 1 || c.Edges > 32000 {
		bad("edges must be in [1, 32000], got %d", c.Edges)
	}
	if c.DCs < 1 || c.DCs > placement.MaxDCs || c.DCs > c.Edges {
		bad("datacenters must be in [1, min(edges, %d)], got %d", placement.MaxDCs, c.DCs)
	}
	if !(c.EdgeMbps > 0) {
		bad("edge capacity must be > 0, got %v", c.EdgeMbps)
	}
	if c.Streams < 1 {
		bad("streams must be >= 1, got %d", c.Streams)
	}
	if c.Zipf < 0 {
		bad("zipf exponent must be >= 0, got %v", c.Zipf)
	}
	if len(c.Bitrates) == 0 {
		bad("no bitrates")
	}
	for _, b := range c.Bitrates {
		if !(b > 0) {
			bad("bitrates must be > 0, got %v", b)
		}
	}
	if c.MeanWatch < Tick {
		bad("mean watch time must be >= 1s, got %v", c.MeanWatch)
	}
	if !(c.MeanGbps > 0) || c.PeakGbps < c.MeanGbps {
		bad("need 0 < mean <= peak Gbps, got mean %v peak %v", c.MeanGbps, c.PeakGbps)
	}
	if c.EventGbps < 0 || c.EventAt < 0 || c.EventLength < 0 || c.EventStreams < 0 {
		bad("event settings must not be negative")
	}
	if c.SurgeViewers < 0 || c.Surges < 0 || c.SurgeRamp < Tick || c.SurgeHold < 0 || c.SurgeDecay < Tick {
		bad("surges need viewers >= 0, count >= 0, ramp and decay >= 1s, hold >= 0")
	}
	if !(c.SurgeBitrateMbps > 0) {
		bad("surge bitrate must be > 0, got %v", c.SurgeBitrateMbps)
	}
	if c.RegionsPerDC < 1 || c.ISPsPerRegion < 1 || c.PeeredShare < 0 || c.PeeredShare > 1 {
		bad("need >= 1 region per DC, >= 1 ISP per region, peered share in [0, 1]")
	}
	if c.Sample < 0 || c.Sample%Tick != 0 {
		bad("sample must be a whole number of seconds, got %v", c.Sample)
	}
	if err := c.Dials.Validate(); err != nil {
		bad("%v", err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// sampleEvery returns the time-series resolution in ticks.
func (c Config) sampleEvery() int64 {
	if c.Sample > 0 {
		return int64(c.Sample / Tick)
	}
	return max(1, int64(c.Duration/Tick)/1440)
}
