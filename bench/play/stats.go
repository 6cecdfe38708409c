package play

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is what every viewer of a run adds to. Counters are atomic, so
// viewers never wait on each other to count.
type Stats struct {
	// arrived counts viewers started; active those not yet stopped.
	arrived, active atomic.Int64
	// joined counts viewers whose first manifest arrived.
	joined atomic.Int64
	// started counts viewers whose playback began.
	started atomic.Int64
	// bytes counts response bytes received, headers excluded.
	bytes atomic.Int64
	// requests counts requests answered or failed; errors those failed.
	requests, errors atomic.Int64
	// dials counts TCP connections opened.
	dials atomic.Int64
	// redirects counts redirects followed.
	redirects atomic.Int64
	// resyncs counts jumps back to the live edge.
	resyncs atomic.Int64
	// stalls counts stalls; stalledNanos and watchedNanos sum their time and
	// the viewing time of viewers that stopped.
	stalls, stalledNanos, watchedNanos atomic.Int64

	// latency is ingest-to-viewer latency of each complete part (chunk for
	// DASH, segment for plain HLS); latencyNow the same for the current
	// time-series interval.
	latency, latencyNow Histogram
	// playback is the playhead's latency behind live.
	playback Histogram
	// byProto splits latency and playback by player, since a part, a
	// chunk and a segment are not the same unit.
	byProto [len(protocols)]struct{ latency, playback Histogram }
	// redirect is the time to each viewer's redirect; ttfb the time to
	// the first byte of its first answer at the edge; join the time from
	// arrival to playback.
	redirect, ttfb, join Histogram
	// stallTime is the duration of each stall.
	stallTime Histogram

	mu     sync.Mutex               // guards byKind and edges
	byKind map[string]int64         // errors by class
	edges  map[string]*atomic.Int64 // viewers now served, by edge
	served map[string]int64         // viewers ever served, by edge
}

func newStats() *Stats {
	return &Stats{byKind: map[string]int64{}, edges: map[string]*atomic.Int64{}, served: map[string]int64{}}
}

// fail counts one failed request.
func (s *Stats) fail(err error) {
	s.requests.Add(1)
	s.errors.Add(1)
	class := classOf(err)
	s.mu.Lock()
	s.byKind[class]++
	s.mu.Unlock()
}

// edge counts a viewer now served by edge and returns the counter to
// decrement when it leaves.
func (s *Stats) edge(name string) *atomic.Int64 {
	s.mu.Lock()
	c := s.edges[name]
	if c == nil {
		c = &atomic.Int64{}
		s.edges[name] = c
	}
	s.served[name]++
	s.mu.Unlock()
	c.Add(1)
	return c
}

// edgeCounts returns the viewers now served by each edge.
func (s *Stats) edgeCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.edges))
	for k, c := range s.edges {
		out[k] = c.Load()
	}
	return out
}

// errorCounts returns the errors by class, most frequent first.
func (s *Stats) errorCounts() []classCount {
	s.mu.Lock()
	out := make([]classCount, 0, len(s.byKind))
	for k, n := range s.byKind {
		out = append(out, classCount{k, n})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Class < out[j].Class
	})
	return out
}

type classCount struct {
	Class string
	N     int64
}

// finish adds a stopped viewer's playback.
func (s *Stats) finish(ps PlayStats) {
	s.stalls.Add(int64(ps.Stalls))
	s.stalledNanos.Add(int64(ps.Stalled))
	s.watchedNanos.Add(int64(ps.Watched))
}

// latencyObserve records one latency sample of a player for the run and
// the current interval.
func (s *Stats) latencyObserve(p int, d time.Duration) {
	s.latency.Observe(d)
	s.latencyNow.Observe(d)
	s.byProto[p].latency.Observe(d)
}

// playbackObserve records the playhead's latency for a player.
func (s *Stats) playbackObserve(p int, d time.Duration) {
	s.playback.Observe(d)
	s.byProto[p].playback.Observe(d)
}
