package dash

import "time"

// Options tune an MPD.
type Options struct {
	// UTCTimingURL is where clients read the server's clock
	// (urn:mpeg:dash:utc:http-iso:2014); no UTCTiming element when empty.
	UTCTimingURL string
	// Query is appended verbatim, already URL-encoded, to the
	// initialization and media templates (for example "token=abc").
	Query string
	// LatencyTarget is the ServiceDescription's target latency; 1 s when 0.
	LatencyTarget time.Duration
	// MinimumUpdatePeriod is how often clients reload the MPD; half the
	// segment target when 0, so that a new segment is learnt of well before
	// the one being played ends.
	MinimumUpdatePeriod time.Duration
	// SimpleAddressing numbers the live Period's segments by
	// SegmentTemplate@duration (DASH-IF "simple addressing") when they are
	// regular, so a client knows from the clock when the next one is due
	// instead of waiting for an MPD that lists it; otherwise, and always
	// when false, a SegmentTimeline lists them. dash.js plays closer to
	// live with it; ffmpeg's DASH reader cannot (it ignores Period@start
	// when it numbers by the clock), so it is the client's choice.
	SimpleAddressing bool
}

// DefaultLatencyTarget is the latency target when Options leave it 0.
const DefaultLatencyTarget = time.Second
