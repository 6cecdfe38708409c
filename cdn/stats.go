package cdn

import (
	"math"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Stats counts what an edge does. Every field is safe to read at any time.
type Stats struct {
	// Upstreams is the number of feed connections to parents open now.
	Upstreams atomic.Int64
	// PullsStarted counts streams the edge started pulling: one per miss
	// that was not coalesced onto a pull under way.
	PullsStarted atomic.Uint64
	// BytesIn counts feed bytes received from parents.
	BytesIn atomic.Uint64
	// ParentErrors counts feed attempts that failed: refused, errored,
	// stalled or cut.
	ParentErrors atomic.Uint64
	// Failovers counts working parents lost, each followed by a move to
	// the next candidate.
	Failovers atomic.Uint64
	// DroppedIdle, DroppedEnded and DroppedRAM count streams dropped for
	// having no viewers, for having ended a while ago, and to stay under
	// the RAM cap.
	DroppedIdle  atomic.Uint64
	DroppedEnded atomic.Uint64
	DroppedRAM   atomic.Uint64
	// DrainRejected counts requests refused because the edge drains.
	DrainRejected atomic.Uint64
	// egressMbps holds the float64 bits of the egress rate the janitor
	// measured last, viewers and child edges together.
	egressMbps atomic.Uint64
}

// EgressMbps returns the egress measured over the last second, in Mb/s.
func (s *Stats) EgressMbps() float64 { return math.Float64frombits(s.egressMbps.Load()) }

// Stats returns the edge's live counters.
func (e *Edge) Stats() *Stats { return &e.stats }

// Load states.
const (
	StateActive   = "active"
	StateDraining = "draining"
)

// Load is what an edge reports about itself to usher with each heartbeat.
type Load struct {
	ID           string         `json:"id"`
	DC           string         `json:"dc"`
	CapacityMbps float64        `json:"capacity_mbps"`
	EgressMbps   float64        `json:"egress_mbps"`
	Viewers      map[string]int `json:"viewers"` // per stream; see viewers for how they are counted
	Streams      []string       `json:"streams"` // held or being pulled, sorted
	Upstreams    int            `json:"upstreams"`
	OpenConns    int            `json:"open_conns"`
	State        string         `json:"state"` // StateActive or StateDraining
	// Parents maps each stream pulled to the parent of its last feed
	// established; a stream not yet fed from any parent is absent.
	Parents map[string]string `json:"parents"`
}

// Load returns the edge's current load.
func (e *Edge) Load() Load {
	l := Load{
		ID:           e.cfg.ID,
		DC:           e.cfg.DC,
		CapacityMbps: e.cfg.CapacityMbps,
		EgressMbps:   e.stats.EgressMbps(),
		Viewers:      e.viewers.counts(time.Now().Add(-e.cfg.ViewerWindow)),
		Upstreams:    int(e.stats.Upstreams.Load()),
		OpenConns:    e.openConns(),
		State:        StateActive,
	}
	if e.refusing() {
		l.State = StateDraining
	}
	l.Parents = make(map[string]string)
	e.mu.RLock()
	for name, p := range e.pulls {
		l.Streams = append(l.Streams, name)
		if parent := p.parent.Load(); parent != nil {
			l.Parents[name] = *parent
		}
	}
	e.mu.RUnlock()
	sort.Strings(l.Streams)
	return l
}

func (e *Edge) openConns() int {
	n := 0
	if srv := e.srv.Load(); srv != nil {
		n += int(srv.GetOpenConnectionsCount())
	}
	if fl := e.fast.Load(); fl != nil {
		n += (*fl).Conns()
	}
	return n
}

// egressBytes returns every body byte sent, to viewers and to children.
func (e *Edge) egressBytes() uint64 {
	return e.delivery.Stats().BytesOut.Load() + e.feedStats.BytesOut.Load()
}

// register exports the edge's counters, the delivery handler's and the Go
// runtime's to the edge's own registry.
func (e *Edge) register() error {
	for _, c := range []prometheus.Collector{
		edgeCollector{e},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := e.reg.Register(c); err != nil {
			return err
		}
	}
	return e.delivery.Register(e.reg)
}

var (
	descUpstreams    = prometheus.NewDesc("livetree_cdn_upstream_connections", "Feed connections to parents open now.", nil, nil)
	descPulls        = prometheus.NewDesc("livetree_cdn_pulls_started_total", "Streams the edge started pulling.", nil, nil)
	descBytesIn      = prometheus.NewDesc("livetree_cdn_feed_bytes_in_total", "Feed bytes received from parents.", nil, nil)
	descParentErrors = prometheus.NewDesc("livetree_cdn_parent_errors_total", "Feed attempts that failed.", nil, nil)
	descFailovers    = prometheus.NewDesc("livetree_cdn_failovers_total", "Working parents lost and replaced.", nil, nil)
	descDropped      = prometheus.NewDesc("livetree_cdn_streams_dropped_total", "Streams dropped, by reason.", []string{"reason"}, nil)
	descRejected     = prometheus.NewDesc("livetree_cdn_drain_rejected_total", "Requests refused while draining.", nil, nil)
	descEgress       = prometheus.NewDesc("livetree_cdn_egress_mbps", "Egress over the last second, viewers and child edges.", nil, nil)
	descCapacity     = prometheus.NewDesc("livetree_cdn_capacity_mbps", "Egress the edge may serve.", nil, nil)
	descViewers      = prometheus.NewDesc("livetree_cdn_viewers", "Distinct client addresses that asked for a stream within the viewer window.", []string{"stream"}, nil)
	descStreams      = prometheus.NewDesc("livetree_cdn_streams", "Streams held or being pulled.", nil, nil)
	descRAM          = prometheus.NewDesc("livetree_cdn_media_bytes", "Bytes of media held in RAM.", nil, nil)
	descConns        = prometheus.NewDesc("livetree_cdn_open_connections", "Client connections open now.", nil, nil)
	descFeeds        = prometheus.NewDesc("livetree_cdn_feeds_open", "Feeds written to child edges now.", nil, nil)
	descFeedBytes    = prometheus.NewDesc("livetree_cdn_feed_bytes_out_total", "Feed bytes sent to child edges.", nil, nil)
	descDraining     = prometheus.NewDesc("livetree_cdn_draining", "1 while the edge drains.", nil, nil)
)

// edgeCollector reads the edge's counters at scrape time.
type edgeCollector struct{ e *Edge }

func (c edgeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUpstreams, descPulls, descBytesIn, descParentErrors, descFailovers,
		descDropped, descRejected, descEgress, descCapacity, descViewers, descStreams, descRAM, descConns,
		descFeeds, descFeedBytes, descDraining} {
		ch <- d
	}
}

func (c edgeCollector) Collect(ch chan<- prometheus.Metric) {
	e, s := c.e, &c.e.stats
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	l := e.Load()
	gauge(descUpstreams, float64(l.Upstreams))
	counter(descPulls, s.PullsStarted.Load())
	counter(descBytesIn, s.BytesIn.Load())
	counter(descParentErrors, s.ParentErrors.Load())
	counter(descFailovers, s.Failovers.Load())
	counter(descDropped, s.DroppedIdle.Load(), "idle")
	counter(descDropped, s.DroppedEnded.Load(), "ended")
	counter(descDropped, s.DroppedRAM.Load(), "ram")
	counter(descRejected, s.DrainRejected.Load())
	gauge(descEgress, l.EgressMbps)
	gauge(descCapacity, l.CapacityMbps)
	for name, n := range l.Viewers {
		gauge(descViewers, float64(n), name)
	}
	gauge(descStreams, float64(len(l.Streams)))
	gauge(descRAM, float64(e.streams.Bytes()))
	gauge(descConns, float64(l.OpenConns))
	gauge(descFeeds, float64(e.feedStats.Open.Load()))
	counter(descFeedBytes, e.feedStats.BytesOut.Load())
	draining := 0.0
	if l.State == StateDraining {
		draining = 1
	}
	gauge(descDraining, draining)
}
