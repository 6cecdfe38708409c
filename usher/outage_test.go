package usher

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet/fleettest"
)

func TestRedisOutage(t *testing.T) {
	needRedis(t)
	r := fleettest.StartRedis(t)
	srv := startServer(t, testConfig(r.URL(0)))
	for _, l := range []struct {
		id     string
		egress float64
	}{{"o1", 100}, {"o2", 200}} {
		startEdge(t, srv, edgeLoad(l.id, "dc-a", l.egress))
	}
	startOrigin(t, srv, 5, "live1", "live2")
	waitFleet(t, srv, 2, "live1", "live2")

	check := func(phase string) {
		t.Helper()
		for _, s := range []string{"live1", "live2"} {
			st, loc := play(t, srv, s, "")
			if st != http.StatusFound || !strings.HasPrefix(loc, "http://o") {
				t.Fatalf("%s: %s: status %d location %q", phase, s, st, loc)
			}
		}
	}
	check("before")

	r.Stop()
	waitFor(t, 2*time.Second, "redis_up to drop", func() bool { return !srv.st.redisUp.Load() })
	if m := metricsText(t, srv); !strings.Contains(m, "usher_redis_up 0") {
		t.Error("metrics do not say redis is down")
	}
	// Redirects keep flowing from the last snapshot for longer than the
	// edge timeout, and never to the overflow.
	for end := time.Now().Add(cfgEdgeTimeout() + time.Second); time.Now().Before(end); {
		check("during outage")
		time.Sleep(100 * time.Millisecond)
	}
	if got := srv.st.overflowed.Load(); got != 0 {
		t.Errorf("%d viewers overflowed during the outage", got)
	}

	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	outageEnd := time.Now()
	waitFor(t, 5*time.Second, "recovery", func() bool {
		return srv.st.redisUp.Load() && time.Since(time.Unix(0, srv.st.lastGood.Load())) < time.Second &&
			len(srv.view.Load().snap.Edges()) == 2
	})
	t.Logf("recovered %v after redis came back", time.Since(outageEnd))
	check("after")
	if m := metricsText(t, srv); !strings.Contains(m, "usher_redis_up 1") {
		t.Error("metrics do not say redis is up")
	}
}

func cfgEdgeTimeout() time.Duration { return DefaultConfig().EdgeTimeout }

func metricsText(t *testing.T, srv *testServer) string {
	t.Helper()
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
