package placement

import "time"

// EdgeState is an edge's operator-set state.
type EdgeState uint8

const (
	// EdgeActive edges take new viewers and new streams.
	EdgeActive EdgeState = iota
	// EdgeDraining edges keep serving their current viewers but receive no
	// new ones and are dropped from every replication tree.
	EdgeDraining
)

// String returns the state's name.
func (s EdgeState) String() string {
	switch s {
	case EdgeActive:
		return "active"
	case EdgeDraining:
		return "draining"
	default:
		return "unknown"
	}
}

// StreamOnEdge is what an edge reports about one stream it carries.
type StreamOnEdge struct {
	// Viewers is the number of viewers the edge serves for the stream.
	Viewers int
	// Parent is the edge ID the stream is pulled from; "" means the origin.
	Parent string
}

// Edge is one video server as last reported to usher.
type Edge struct {
	ID  string
	URL string // public base URL viewers are redirected to
	DC  string // datacenter name
	// CapacityMbps is the edge's usable egress, e.g. 1000 for a 1 Gbps NIC.
	CapacityMbps float64
	// EgressMbps is the measured egress, relay traffic to children included.
	// NewSnapshot raises it to at least what the edge's viewers and the
	// child edges pulling from it cost at the streams' bitrates, since a
	// byte rate lags a viewer or a child that has just arrived.
	EgressMbps float64
	State      EdgeState
	// Streams maps stream name to what the edge does for it. The map is read,
	// never written, by this package.
	Streams map[string]StreamOnEdge
	// LastSeen is when the edge last reported; an edge silent for longer
	// than Dials.StaleAfter is treated as gone.
	LastSeen time.Time
}
