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
}

// DefaultLatencyTarget is the latency target when Options leave it 0.
const DefaultLatencyTarget = time.Second
