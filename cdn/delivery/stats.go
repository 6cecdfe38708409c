package delivery

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// reqKind names what a request asked for, for counting.
type reqKind int

const (
	kindMultivariant reqKind = iota
	kindMedia
	kindMPD
	kindInit
	kindSegment
	kindPart
	kindTime
	kindPreflight
	kindOther
	numKinds
)

var kindNames = [numKinds]string{"multivariant", "media_playlist", "mpd", "init", "segment", "part", "time", "preflight", "other"}

// Stats counts what the handler does. Every field is safe to read at any time.
type Stats struct {
	// requests counts requests by reqKind.
	requests [numKinds]atomic.Uint64
	// Errors counts requests answered with an error status (or dropped).
	Errors atomic.Uint64
	// Blocked is the number of requests waiting now for media that is not
	// there yet.
	Blocked atomic.Int64
	// Woken counts waits that ended because what they waited for came.
	Woken atomic.Uint64
	// TimedOut counts waits that reached the blocking limit.
	TimedOut atomic.Uint64
	// Cancelled counts waits ended by the client hanging up or the handler
	// closing.
	Cancelled atomic.Uint64
	// BytesOut counts body bytes handed to connections.
	BytesOut atomic.Uint64
	// Streaming is the number of objects being streamed now as they are written.
	Streaming atomic.Int64
	// Aborted counts streamed objects cut off before their end: a stalled
	// writer, a stuck client or a closing handler.
	Aborted atomic.Uint64
}

// Requests returns how many requests of a kind were served; kind is one of
// "multivariant", "media_playlist", "mpd", "init", "segment", "part",
// "time", "preflight", "other".
func (s *Stats) Requests(kind string) uint64 {
	for i, n := range kindNames {
		if n == kind {
			return s.requests[i].Load()
		}
	}
	return 0
}

// Stats returns the handler's live counters.
func (h *Handler) Stats() *Stats { return &h.stats }

// Register exports the handler's counters to reg.
func (h *Handler) Register(reg prometheus.Registerer) error {
	return reg.Register(statsCollector{&h.stats})
}

var (
	descRequests  = prometheus.NewDesc("livetree_delivery_requests_total", "Requests by what they asked for.", []string{"kind"}, nil)
	descErrors    = prometheus.NewDesc("livetree_delivery_errors_total", "Requests answered with an error status or dropped.", nil, nil)
	descBlocked   = prometheus.NewDesc("livetree_delivery_blocked_waiters", "Requests waiting now for media that is not there yet.", nil, nil)
	descWaits     = prometheus.NewDesc("livetree_delivery_waits_total", "Ended waits by outcome.", []string{"outcome"}, nil)
	descBytes     = prometheus.NewDesc("livetree_delivery_bytes_out_total", "Body bytes handed to connections.", nil, nil)
	descStreaming = prometheus.NewDesc("livetree_delivery_streaming_responses", "Objects being streamed now as they are written.", nil, nil)
	descAborted   = prometheus.NewDesc("livetree_delivery_streams_aborted_total", "Streamed objects cut off before their end.", nil, nil)
)

// statsCollector reads Stats at scrape time, so counting costs one atomic
// add and nothing else.
type statsCollector struct{ s *Stats }

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descErrors, descBlocked, descWaits, descBytes, descStreaming, descAborted} {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	for i, n := range kindNames {
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(s.requests[i].Load()), n)
	}
	ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(s.Errors.Load()))
	ch <- prometheus.MustNewConstMetric(descBlocked, prometheus.GaugeValue, float64(s.Blocked.Load()))
	ch <- prometheus.MustNewConstMetric(descWaits, prometheus.CounterValue, float64(s.Woken.Load()), "woken")
	ch <- prometheus.MustNewConstMetric(descWaits, prometheus.CounterValue, float64(s.TimedOut.Load()), "timed_out")
	ch <- prometheus.MustNewConstMetric(descWaits, prometheus.CounterValue, float64(s.Cancelled.Load()), "cancelled")
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(s.BytesOut.Load()))
	ch <- prometheus.MustNewConstMetric(descStreaming, prometheus.GaugeValue, float64(s.Streaming.Load()))
	ch <- prometheus.MustNewConstMetric(descAborted, prometheus.CounterValue, float64(s.Aborted.Load()))
}
