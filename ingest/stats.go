package ingest

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// proto identifies an ingest protocol in counters and logs.
type proto int

const (
	protoRTMP proto = iota
	protoTS
	protoFMP4
	protoCount
)

func (p proto) String() string {
	switch p {
	case protoRTMP:
		return "rtmp"
	case protoTS:
		return "mpegts"
	case protoFMP4:
		return "fmp4"
	}
	return "unknown"
}

// Stats counts what the server ingests. Every field is updated atomically
// and read by the Prometheus collector at scrape time.
type Stats struct {
	// PublishersActive is the number of publishers currently sending.
	PublishersActive atomic.Int64
	// Publishes counts publish sessions started, by protocol.
	Publishes [protoCount]atomic.Uint64
	// FramesIn counts access units handed to the packager, by protocol.
	FramesIn [protoCount]atomic.Uint64
	// BytesIn counts bytes read from publishers, by protocol (RTMP counts
	// from the handshake, HTTP push from the first body byte).
	BytesIn [protoCount]atomic.Uint64
	// BadFrames counts access units the packager or a demuxer rejected while
	// the publisher went on.
	BadFrames atomic.Uint64
	// Rejections counts publishers refused or dropped, by reason (the index
	// into errorClasses).
	Rejections [len(errorClasses)]atomic.Uint64
}

// reject counts one refused or dropped publisher.
func (s *Stats) reject(err error) { s.Rejections[classify(err)].Add(1) }

// statsCollector exports a Stats to Prometheus.
type statsCollector struct {
	s *Stats

	active, publishes, frames, bytes, bad, rejections *prometheus.Desc
}

func newStatsCollector(s *Stats) *statsCollector {
	return &statsCollector{
		s: s,
		active: prometheus.NewDesc("livetree_ingest_publishers_active",
			"Publishers currently sending.", nil, nil),
		publishes: prometheus.NewDesc("livetree_ingest_publishes_total",
			"Publish sessions started.", []string{"proto"}, nil),
		frames: prometheus.NewDesc("livetree_ingest_frames_total",
			"Access units handed to the packager.", []string{"proto"}, nil),
		bytes: prometheus.NewDesc("livetree_ingest_bytes_total",
			"Bytes read from publishers.", []string{"proto"}, nil),
		bad: prometheus.NewDesc("livetree_ingest_bad_frames_total",
			"Access units rejected while the publisher went on.", nil, nil),
		rejections: prometheus.NewDesc("livetree_ingest_rejections_total",
			"Publishers refused or dropped.", []string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.active, c.publishes, c.frames, c.bytes, c.bad, c.rejections} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(c.s.PublishersActive.Load()))
	ch <- prometheus.MustNewConstMetric(c.bad, prometheus.CounterValue, float64(c.s.BadFrames.Load()))
	for p := proto(0); p < protoCount; p++ {
		ch <- prometheus.MustNewConstMetric(c.publishes, prometheus.CounterValue, float64(c.s.Publishes[p].Load()), p.String())
		ch <- prometheus.MustNewConstMetric(c.frames, prometheus.CounterValue, float64(c.s.FramesIn[p].Load()), p.String())
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(c.s.BytesIn[p].Load()), p.String())
	}
	for i, c2 := range errorClasses {
		ch <- prometheus.MustNewConstMetric(c.rejections, prometheus.CounterValue, float64(c.s.Rejections[i].Load()), c2.reason)
	}
}
