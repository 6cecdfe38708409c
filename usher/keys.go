package usher

import "strconv"

// Redis keys. Every key is written with single-key commands, so the layout
// works on Redis Cluster as well as on one server.
const (
	// keyEdgesSeen is a sorted set of edge IDs scored by last heartbeat
	// (Unix milliseconds).
	keyEdgesSeen = "edges"
	// keyEdgePrefix + ID is a hash of the edge's last heartbeat (fields
	// url, dc, cap, egress, state, seen, streams), expiring after
	// recordTTL.
	keyEdgePrefix = "edge:"
	// keyOriginsSeen is a sorted set of origin URLs scored by last report.
	keyOriginsSeen = "origins"
	// keyOriginPrefix + URL is a hash of the origin's last report (fields
	// streams, seen), expiring after recordTTL.
	keyOriginPrefix = "origin:"
	// keyArrivalsPrefix + Unix second is a hash of arrivals counted in that
	// second: field stream, and stream + "\t" + region.
	keyArrivalsPrefix = "arrivals:"
	// keyDials is the hash of placement dials operators edit at runtime.
	keyDials = "dials"
	// keyDrain is a hash of edge ID → "1" for edges an operator drains.
	keyDrain = "drain"
	// keyTreePrefix + stream is a hash of edge ID → parent base URL, the
	// published replication tree.
	keyTreePrefix = "tree:"
	// keyTrees holds every published tree in one string for other usher
	// instances, and keyTreesGen a counter bumped whenever it changes.
	keyTrees    = "trees"
	keyTreesGen = "trees:gen"
	// keyPlanner holds the instance ID of the elected planner.
	keyPlanner = "usher:planner"
)

// The hash of ingest stream keys is fleet.KeysHash; fleet.KeyChecker reads
// it and the admin API writes it.

func edgeKey(id string) string     { return keyEdgePrefix + id }
func originKey(url string) string  { return keyOriginPrefix + url }
func treeKey(stream string) string { return keyTreePrefix + stream }
func arrivalsKey(sec int64) string { return keyArrivalsPrefix + strconv.FormatInt(sec, 10) }
