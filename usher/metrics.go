package usher

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// stats are the server's counters; metrics export them.
type stats struct {
	// redirected counts viewers sent to an edge (302 or /api/play).
	redirected atomic.Uint64
	// overflowed counts viewers sent to the overflow URL or refused for
	// want of room.
	overflowed atomic.Uint64
	// unknown counts requests for streams no origin registered.
	unknown atomic.Uint64
	// heartbeats counts heartbeats stored; heartbeatErrors those refused
	// or not stored.
	heartbeats      atomic.Uint64
	heartbeatErrors atomic.Uint64
	// originReports counts origin reports stored.
	originReports atomic.Uint64
	// parentQueries counts /api/parent answers.
	parentQueries atomic.Uint64
	// refreshes counts views installed; refreshErrors failed readings.
	refreshes     atomic.Uint64
	refreshErrors atomic.Uint64
	// flushErrors counts arrival flushes Redis did not take.
	flushErrors atomic.Uint64
	// plans counts PlanAll runs, treeWrites trees written to Redis.
	plans      atomic.Uint64
	treeWrites atomic.Uint64
	// redisUp is whether the last Redis reading succeeded.
	redisUp atomic.Bool
	// leader is whether this instance is the elected planner.
	leader atomic.Bool
	// lastGood is when the view in force was read, Unix nanoseconds.
	lastGood atomic.Int64
}

// newMetrics registers the server's metrics on a registry of its own and
// returns the /metrics handler.
func (s *Server) newMetrics() fasthttp.RequestHandler {
	reg := prometheus.NewRegistry()
	st := &s.st
	counter := func(name, help string, v *atomic.Uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) }))
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	boolGauge := func(b *atomic.Bool) func() float64 {
		return func() float64 {
			if b.Load() {
				return 1
			}
			return 0
		}
	}
	counter("usher_redirects_total", "Viewers sent to an edge.", &st.redirected)
	counter("usher_overflow_total", "Viewers sent to the overflow CDN, or refused, because no edge had room.", &st.overflowed)
	counter("usher_unknown_stream_total", "Requests for streams without an origin.", &st.unknown)
	counter("usher_heartbeats_total", "Edge heartbeats stored.", &st.heartbeats)
	counter("usher_heartbeat_errors_total", "Edge heartbeats refused or not stored.", &st.heartbeatErrors)
	counter("usher_origin_reports_total", "Origin reports stored.", &st.originReports)
	counter("usher_parent_queries_total", "Parent queries answered.", &st.parentQueries)
	counter("usher_refreshes_total", "Snapshots installed from Redis.", &st.refreshes)
	counter("usher_refresh_errors_total", "Redis readings that failed or were held back.", &st.refreshErrors)
	counter("usher_flush_errors_total", "Arrival flushes Redis did not take.", &st.flushErrors)
	counter("usher_plans_total", "Replication tree plans run.", &st.plans)
	counter("usher_tree_writes_total", "Replication trees written to Redis.", &st.treeWrites)
	gauge("usher_redis_up", "1 when the last Redis reading succeeded.", boolGauge(&st.redisUp))
	gauge("usher_planner_leader", "1 when this instance plans the trees.", boolGauge(&st.leader))
	gauge("usher_snapshot_age_seconds", "Age of the snapshot redirects are decided on.", func() float64 {
		return time.Since(time.Unix(0, st.lastGood.Load())).Seconds()
	})
	gauge("usher_edges", "Edges in the snapshot.", func() float64 { return float64(len(s.view.Load().snap.Edges())) })
	gauge("usher_streams", "Streams in the snapshot.", func() float64 { return float64(len(s.view.Load().snap.Streams())) })
	s.decisionTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "usher_decision_seconds",
		Help:    "Time to choose an edge for one viewer.",
		Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2},
	})
	reg.MustRegister(s.decisionTime)
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
