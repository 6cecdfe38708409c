package usher

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet"
)

// treeFleet starts four 100 Mbps edges in dc-a and a 10 Mbps stream with
// a narrow tree: one edge under the origin, two children per edge.
func treeFleet(t *testing.T, stream string) (*testServer, map[string]*fakeEdge) {
	t.Helper()
	cfg := testConfig(testRedisURL(t))
	cfg.Dials.OriginFanOut = 1
	cfg.Dials.FanOut = 2
	srv := startServer(t, cfg)
	edges := map[string]*fakeEdge{}
	for i := 1; i <= 4; i++ {
		l := edgeLoad(fmt.Sprintf("e%d", i), "dc-a", 0)
		l.CapacityMbps = 100
		edges[l.ID] = startEdge(t, srv, l)
	}
	startOrigin(t, srv, 10, stream)
	waitFleet(t, srv, 4, stream)
	return srv, edges
}

// publishedTree reads tree:{stream} from Redis.
func publishedTree(t *testing.T, srv *testServer, stream string) map[string]string {
	t.Helper()
	m, err := srv.Redis().HGetAll(context.Background(), treeKey(stream)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTreePublishedAndRepaired(t *testing.T) {
	srv, edges := treeFleet(t, "tv")
	for range 20 {
		if st, _ := play(t, srv, "tv", ""); st != http.StatusFound {
			t.Fatalf("status %d", st)
		}
	}
	var tree map[string]string
	waitFor(t, 3*time.Second, "a two-level tree in redis", func() bool {
		tree = publishedTree(t, srv, "tv")
		roots, inner := 0, 0
		for _, parent := range tree {
			if parent == "http://origin.test" {
				roots++
			} else {
				inner++
			}
		}
		return roots == 1 && inner >= 2
	})

	// Edges learn their parent from usher and report it back, as real
	// edges do.
	var root string
	for id, parent := range tree {
		pp, err := fleet.NewParentPicker(fleet.ParentPickerConfig{Ushers: []string{srv.url}, Token: testFleetToken, EdgeID: id})
		if err != nil {
			t.Fatal(err)
		}
		got, err := pp.Parent(context.Background(), "tv")
		if err != nil || got != parent {
			t.Fatalf("parent of %s: %q, %v; tree says %q", id, got, err, parent)
		}
		if parent == "http://origin.test" {
			root = id
		}
		edges[id].set(func(l *fleet.Load) {
			l.Streams = map[string]fleet.StreamLoad{"tv": {Viewers: 5, Parent: got}}
		})
	}

	// The root dies: its children must be re-parented, in Redis and in
	// the heartbeat replies.
	edges[root].stop()
	deadURL := "http://" + root + ".test"
	waitFor(t, 5*time.Second, "the tree to be repaired", func() bool {
		tree = publishedTree(t, srv, "tv")
		if _, ok := tree[root]; ok || len(tree) == 0 {
			return false
		}
		for _, parent := range tree {
			if parent == deadURL {
				return false
			}
		}
		return true
	})
	t.Logf("repaired tree: %v", tree)
	for id, parent := range tree {
		pp, _ := fleet.NewParentPicker(fleet.ParentPickerConfig{Ushers: []string{srv.url}, Token: testFleetToken, EdgeID: id})
		if got, err := pp.Parent(context.Background(), "tv"); err != nil || got != parent {
			t.Errorf("parent of %s after repair: %q, %v; want %q", id, got, err, parent)
		}
	}
}

func TestParentOfUnplannedEdge(t *testing.T) {
	srv, _ := treeFleet(t, "up")
	pp, err := fleet.NewParentPicker(fleet.ParentPickerConfig{Ushers: []string{srv.url}, Token: testFleetToken, EdgeID: "e3"})
	if err != nil {
		t.Fatal(err)
	}
	// No viewer yet, no tree: the first edge pulls from the origin.
	if got, err := pp.Parent(context.Background(), "up"); err != nil || got != "http://origin.test" {
		t.Errorf("parent %q, %v; want the origin", got, err)
	}
	if _, err := pp.Parent(context.Background(), "nobody"); err == nil {
		t.Error("parent of an unknown stream: no error")
	}
}

// TestSpikeGrowsTree measures the time from a burst of arrivals to a grown
// tree in Redis; the target is one second.
func TestSpikeGrowsTree(t *testing.T) {
	took := spikeToTree(t)
	t.Logf("arrival spike to grown tree in redis: %v", took)
	if took > 1500*time.Millisecond {
		t.Errorf("tree grew after %v, target 1 s", took)
	}
}

func spikeToTree(t testing.TB) time.Duration {
	cfg := testConfig(testRedisURL(t))
	cfg.RefreshInterval = 200 * time.Millisecond
	cfg.FlushInterval = 200 * time.Millisecond
	cfg.PlanInterval = time.Second
	srv := startServer(t, cfg)
	for i := range 10 {
		l := edgeLoad(fmt.Sprintf("s%d", i), "dc-a", 0)
		l.CapacityMbps = 100
		startEdge(t, srv, l)
	}
	startOrigin(t, srv, 10, "spike")
	waitFleet(t, srv, 10, "spike")
	time.Sleep(1200 * time.Millisecond) // let a quiet plan pass

	start := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if st, _ := play(t, srv, "spike", fmt.Sprintf("192.0.2.%d", w)); st != http.StatusFound {
					t.Errorf("status %d", st)
				}
			}
		}()
	}
	wg.Wait()
	ctx := context.Background()
	for {
		n, err := srv.Redis().HLen(ctx, treeKey("spike")).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n >= 5 {
			return time.Since(start)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("tree has %d edges after 5 s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
