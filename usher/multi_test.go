package usher

import (
	"net/http"
	"testing"
	"time"
)

// TestTwoUshersShareRedis runs two instances on one Redis: edges report to
// one, the origin to the other, viewers arrive at both, and exactly one
// plans the trees, which both then answer from.
func TestTwoUshersShareRedis(t *testing.T) {
	url := testRedisURL(t)
	cfgA, cfgB := testConfig(url), testConfig(url)
	cfgA.InstanceID, cfgB.InstanceID = "usher-a", "usher-b"
	cfgB.DC = "dc-b"
	a, b := startServer(t, cfgA), startServer(t, cfgB)
	for _, id := range []string{"m1", "m2"} {
		l := edgeLoad(id, "dc-a", 0)
		l.CapacityMbps = 100
		startEdge(t, a, l)
	}
	startOrigin(t, b, 10, "shared")
	waitFleet(t, a, 2, "shared")
	waitFleet(t, b, 2, "shared")

	for i := range 12 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		if st, _ := play(t, srv, "shared", ""); st != http.StatusFound {
			t.Fatalf("viewer %d: status %d", i, st)
		}
	}
	// Arrivals counted by both instances add up in Redis.
	waitFor(t, 3*time.Second, "both instances' arrivals in the demand", func() bool {
		_, da, _ := a.view.Load().snap.Stream("shared")
		_, db, _ := b.view.Load().snap.Stream("shared")
		return da.Viewers == 12 && db.Viewers == 12
	})
	if a.st.leader.Load() == b.st.leader.Load() {
		t.Fatalf("leaders: a %v, b %v; want exactly one", a.st.leader.Load(), b.st.leader.Load())
	}
	// 12 viewers at 10 Mbps need both 90 Mbps edges; both instances see
	// the same two-edge tree.
	waitFor(t, 3*time.Second, "the same tree on both instances", func() bool {
		ta, tb := a.trees.Load().streams["shared"], b.trees.Load().streams["shared"]
		return ta != nil && tb != nil && len(ta.nodes) == 2 && equalTrees(ta, tb)
	})
}

func equalTrees(x, y *tree) bool {
	if len(x.nodes) != len(y.nodes) {
		return false
	}
	for id, n := range x.nodes {
		if y.nodes[id] != n {
			return false
		}
	}
	return true
}
