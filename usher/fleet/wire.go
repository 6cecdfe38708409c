package fleet

// Paths of usher's fleet API, served on its public port and authenticated
// with "Authorization: Bearer <fleet token>".
const (
	// PathHeartbeat takes a POSTed Load and answers a Reply.
	PathHeartbeat = "/api/heartbeat"
	// PathOrigin takes a POSTed OriginReport and answers 204.
	PathOrigin = "/api/origin"
	// PathParent answers GET ?stream=S&edge=ID with a ParentReply.
	PathParent = "/api/parent"
)

// Edge states as carried in Load.State.
const (
	StateActive   = "active"
	StateDraining = "draining"
)

// Load is what an edge reports in every heartbeat.
type Load struct {
	// ID names the edge uniquely in the fleet.
	ID string `json:"id"`
	// URL is the public base URL viewers are redirected to, without a
	// trailing slash, e.g. "https://edge7.example.net".
	URL string `json:"url"`
	// DC is the edge's datacenter.
	DC string `json:"dc"`
	// CapacityMbps is the egress the edge can give, EgressMbps what it
	// gives now (relay traffic to child edges included).
	CapacityMbps float64 `json:"capacity_mbps"`
	EgressMbps   float64 `json:"egress_mbps"`
	// State is StateActive or StateDraining; empty means active.
	State string `json:"state,omitempty"`
	// Streams maps each stream the edge holds to its viewers and parent.
	Streams map[string]StreamLoad `json:"streams,omitempty"`
}

// StreamLoad is an edge's report about one stream it holds.
type StreamLoad struct {
	Viewers int `json:"viewers"`
	// Parent is the base URL the edge pulls the stream from: another
	// edge's URL or the origin's.
	Parent string `json:"parent,omitempty"`
}

// Reply is usher's answer to a heartbeat.
type Reply struct {
	// Drain asks the edge to stop taking new viewers and streams; it keeps
	// serving the viewers it has.
	Drain bool `json:"drain,omitempty"`
	// Parents lists the streams whose planned parent differs from the one
	// the edge reported (stream → parent base URL), for instance because
	// the old parent left the fleet. The edge should switch when it can.
	Parents map[string]string `json:"parents,omitempty"`
}

// OriginReport is what an ingest server announces periodically: every
// stream it is the origin of. A report replaces the previous one from the
// same URL; streams missing from it stop being offered to viewers.
type OriginReport struct {
	// URL is the base URL edges pull from, e.g. "http://ingest1:8080".
	URL     string         `json:"url"`
	Streams []OriginStream `json:"streams"`
}

// OriginStream is one stream of an OriginReport.
type OriginStream struct {
	Name string `json:"name"`
	// BitrateMbps is what one viewer of the stream costs, all renditions a
	// player may pull included; 0 lets usher assume its default.
	BitrateMbps float64 `json:"bitrate_mbps,omitempty"`
}

// ParentReply tells an edge whom to pull a stream from.
type ParentReply struct {
	Stream string `json:"stream"`
	Edge   string `json:"edge"`
	// Parent is the base URL to pull from: an edge or the origin.
	Parent string `json:"parent"`
	// ParentID is the parent edge's ID, empty when Parent is the origin.
	ParentID string `json:"parent_id,omitempty"`
}
