package usher

import (
	"testing"

	"github.com/livetree/livetree/usher/placement"
)

// TestTreesCarryOverflow checks that a plan's arrival overflow share goes
// through Redis's encoding to every usher's next snapshot.
func TestTreesCarryOverflow(t *testing.T) {
	plans := []placement.TreePlan{
		{Stream: "big", ArrivalOverflowShare: 0.375, Nodes: []placement.Node{{EdgeID: "e1", Depth: 1}}},
		{Stream: "small", Nodes: []placement.Node{{EdgeID: "e2", Depth: 1}}},
	}
	ts := decodeTrees(treesFromPlans(plans).encode())
	got := ts.overflowShares()
	if len(got) != 1 || got["big"] != 0.375 {
		t.Errorf("overflow shares %v, want big: 0.375", got)
	}
	if n := len(ts.streams["big"].nodes); n != 1 {
		t.Errorf("big has %d nodes after decoding, want 1", n)
	}
}
