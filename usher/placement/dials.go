package placement

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

// MaxPicks bounds Dials.Candidates, the length of a Decision's ranked list.
const MaxPicks = 8

// MaxDCs bounds the number of distinct datacenters in a snapshot, so that a
// set of datacenters fits in one uint64 and per-request datacenter scores
// fit on the stack.
const MaxDCs = 64

// Dials are the operator-tunable knobs of placement. They travel inside each
// Snapshot, so a change takes effect on the next snapshot refresh.
//
// An edge's score is, lower being better:
//
//	WeightLoad·utilisation + WeightLatency·latencyMs + WeightCost·cost − ArrivalBonus·[edge in arrival DC]
//
// where utilisation is egress/capacity (0..1), latencyMs comes from the
// viewer region → DC matrix, and cost is DCCost[dc], or 0 when the viewer's
// ISP peers with that DC.
type Dials struct {
	// WeightLoad scores one unit of utilisation (a full edge).
	WeightLoad float64
	// WeightLatency scores one millisecond of region → DC latency.
	WeightLatency float64
	// WeightCost scores one unit of DCCost.
	WeightCost float64
	// ArrivalBonus is subtracted from the score of edges in the datacenter
	// the request arrived at.
	ArrivalBonus float64
	// Headroom is the fraction of an edge's capacity usher will fill (0, 1].
	Headroom float64
	// OverflowURL is where viewers go when no edge has room. "{stream}" and
	// "{path}" are replaced by the stream name and requested path. Empty
	// means there is no overflow CDN.
	OverflowURL string
	// FanOut is the most children one edge feeds in a replication tree.
	FanOut int
	// OriginFanOut is the most edges that pull a stream from its origin.
	// Plan keeps more only when they pull from it already and no tree
	// member has room to feed them, rather than move their viewers.
	OriginFanOut int
	// DCCost is the cost of one Mbps served from a datacenter; a missing
	// entry or 0 means peered or free.
	DCCost map[string]float64
	// Candidates is the length of a Decision's ranked list (1..MaxPicks).
	Candidates int
	// Horizon is how far ahead Plan projects a stream's arrival velocity.
	Horizon time.Duration
	// StaleAfter is how long an edge may stay silent before it is ignored.
	StaleAfter time.Duration
	// UnknownLatencyMs is assumed for a region/DC pair missing from the
	// latency matrix.
	UnknownLatencyMs float64
	// ShrinkMargin is the hysteresis of Plan: an edge already in a tree is
	// kept while the tree's capacity is below demand × (1 + ShrinkMargin),
	// so a tree does not flap when demand hovers around an edge boundary.
	ShrinkMargin float64
	// SteerOverflow makes Ledger.Choose send each stream's planned share
	// of new viewers (Input.Overflow) to the overflow CDN, so that a stream
	// the fleet cannot hold leaves the room the plan keeps for the others.
	// It needs an OverflowURL.
	SteerOverflow bool
	// SteerReserve is the fraction of every edge's room within Headroom
	// that a stream being steered leaves to other streams (0..1).
	// Steering alone keeps a stream's total within its tree, yet the
	// stream would still fill each edge to the brim and leave the room it
	// spares spread too thin for another stream's viewer anywhere.
	SteerReserve float64
}

// DefaultDials returns dials suited to a fleet of 1 Gbps edges: load and 100
// ms of latency weigh the same, fill to 90 %, fan-out 4, three candidates,
// planned overflow steered.
func DefaultDials() Dials {
	return Dials{
		WeightLoad:       1,
		WeightLatency:    0.01,
		WeightCost:       1,
		ArrivalBonus:     0.05,
		Headroom:         0.9,
		FanOut:           4,
		OriginFanOut:     4,
		Candidates:       3,
		Horizon:          5 * time.Second,
		StaleAfter:       3 * time.Second,
		UnknownLatencyMs: 150,
		ShrinkMargin:     0.25,
		SteerOverflow:    true,
		SteerReserve:     0.02,
	}
}

// Validate reports every field that is out of range, wrapped in
// ErrInvalidDials.
func (d Dials) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	nonNeg := func(name string, v float64) {
		if !(v >= 0) || math.IsInf(v, 0) {
			bad("%s must be a finite number >= 0, got %v", name, v)
		}
	}
	nonNeg("WeightLoad", d.WeightLoad)
	nonNeg("WeightLatency", d.WeightLatency)
	nonNeg("WeightCost", d.WeightCost)
	nonNeg("ArrivalBonus", d.ArrivalBonus)
	nonNeg("UnknownLatencyMs", d.UnknownLatencyMs)
	nonNeg("ShrinkMargin", d.ShrinkMargin)
	if !(d.Headroom > 0 && d.Headroom <= 1) {
		bad("Headroom must be in (0, 1], got %v", d.Headroom)
	}
	if !(d.SteerReserve >= 0 && d.SteerReserve < 1) {
		bad("SteerReserve must be in [0, 1), got %v", d.SteerReserve)
	}
	if d.FanOut < 1 {
		bad("FanOut must be >= 1, got %d", d.FanOut)
	}
	if d.OriginFanOut < 1 {
		bad("OriginFanOut must be >= 1, got %d", d.OriginFanOut)
	}
	if d.Candidates < 1 || d.Candidates > MaxPicks {
		bad("Candidates must be in [1, %d], got %d", MaxPicks, d.Candidates)
	}
	if d.Horizon < 0 {
		bad("Horizon must be >= 0, got %v", d.Horizon)
	}
	if d.StaleAfter <= 0 {
		bad("StaleAfter must be > 0, got %v", d.StaleAfter)
	}
	for dc, c := range d.DCCost {
		nonNeg("DCCost["+dc+"]", c)
	}
	if d.OverflowURL != "" {
		u, err := url.Parse(expandOverflow(d.OverflowURL, "stream", "index.m3u8"))
		switch {
		case err != nil:
			bad("OverflowURL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			bad("OverflowURL must be an absolute http(s) URL, got %q", d.OverflowURL)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidDials, errors.Join(errs...))
}

// expandOverflow fills the OverflowURL template.
func expandOverflow(tmpl, stream, path string) string {
	out := strings.ReplaceAll(tmpl, "{stream}", url.PathEscape(stream))
	return strings.ReplaceAll(out, "{path}", strings.TrimPrefix(path, "/"))
}
