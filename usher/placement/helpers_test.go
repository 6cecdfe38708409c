package placement

import (
	"fmt"
	"testing"
	"time"
)

// t0 is the virtual "now" of the tests.
var t0 = time.Unix(1_700_000_000, 0)

// edge returns an active 1 Gbps edge seen at t0.
func edge(id, dc string, egress float64) Edge {
	return Edge{
		ID:           id,
		URL:          "https://" + id + ".example",
		DC:           dc,
		CapacityMbps: 1000,
		EgressMbps:   egress,
		LastSeen:     t0,
	}
}

// carrying returns e marked as carrying stream with viewers, under parent.
func carrying(e Edge, stream string, viewers int, parent string) Edge {
	m := make(map[string]StreamOnEdge, len(e.Streams)+1)
	for k, v := range e.Streams {
		m[k] = v
	}
	m[stream] = StreamOnEdge{Viewers: viewers, Parent: parent}
	e.Streams = m
	return e
}

// origins returns one origin per stream name at the given bitrate.
func origins(bitrate float64, names ...string) map[string]Origin {
	m := make(map[string]Origin, len(names))
	for _, n := range names {
		m[n] = Origin{URL: "https://ingest.example/" + n, BitrateMbps: bitrate}
	}
	return m
}

// mustSnapshot builds a snapshot, filling default dials and Taken.
func mustSnapshot(tb testing.TB, in Input) *Snapshot {
	tb.Helper()
	if in.Dials.Headroom == 0 {
		in.Dials = DefaultDials()
	}
	if in.Taken.IsZero() {
		in.Taken = t0
	}
	s, err := NewSnapshot(in)
	if err != nil {
		tb.Fatalf("NewSnapshot: %v", err)
	}
	return s
}

// ids returns the edge IDs of a decision's picks.
func ids(d Decision) []string {
	var out []string
	for _, p := range d.Picks() {
		out = append(out, p.Edge.ID)
	}
	return out
}

// grid returns n edges per datacenter named <dc>-<k>.
func grid(n int, egress float64, dcs ...string) []Edge {
	var out []Edge
	for _, dc := range dcs {
		for k := 0; k < n; k++ {
			out = append(out, edge(fmt.Sprintf("%s-%03d", dc, k), dc, egress))
		}
	}
	return out
}
