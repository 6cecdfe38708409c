package usher

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetree/livetree/usher/placement"
)

// bucketHistory is how long per-second arrival buckets live in Redis and
// the longest window demand can be measured over.
const bucketHistory = 2 * time.Minute

// arrKey names one counter of a second's bucket: a stream's arrivals, or
// with a region those from one viewer region.
type arrKey struct{ stream, region string }

// field returns the Redis hash field of the counter.
func (k arrKey) field() string {
	if k.region == "" {
		return k.stream
	}
	return k.stream + "\t" + k.region
}

// arrivals counts viewer arrivals in memory, per second, until the flusher
// writes them to Redis in one pipeline; a redirect never waits on Redis.
type arrivals struct {
	mu      sync.Mutex // guards pending
	pending map[int64]map[arrKey]int64
}

// add counts one arrival of a viewer of stream from region at second sec.
func (a *arrivals) add(sec int64, stream, region string) {
	a.mu.Lock()
	if a.pending == nil {
		a.pending = make(map[int64]map[arrKey]int64)
	}
	b := a.pending[sec]
	if b == nil {
		b = make(map[arrKey]int64)
		a.pending[sec] = b
	}
	b[arrKey{stream: stream}]++
	if region != "" {
		b[arrKey{stream: stream, region: region}]++
	}
	a.mu.Unlock()
}

// take removes and returns every pending count.
func (a *arrivals) take() map[int64]map[arrKey]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pending
	a.pending = nil
	return p
}

// putBack merges counts a failed flush could not write, dropping seconds
// older than oldest so an outage cannot grow memory without bound.
func (a *arrivals) putBack(p map[int64]map[arrKey]int64, oldest int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = make(map[int64]map[arrKey]int64)
	}
	for sec, b := range p {
		if sec < oldest {
			continue
		}
		dst := a.pending[sec]
		if dst == nil {
			a.pending[sec] = b
			continue
		}
		for k, n := range b {
			dst[k] += n
		}
	}
}

// flushArrivals adds counts to the per-second buckets in Redis.
func flushArrivals(ctx context.Context, rdb redis.UniversalClient, p map[int64]map[arrKey]int64) error {
	pipe := rdb.Pipeline()
	for sec, b := range p {
		key := arrivalsKey(sec)
		for k, n := range b {
			pipe.HIncrBy(ctx, key, k.field(), n)
		}
		pipe.Expire(ctx, key, bucketHistory)
	}
	return execPipe(ctx, pipe)
}

// demandReader turns the per-second buckets into placement demand. Buckets
// old enough that every usher has flushed them are final and kept in
// memory, so each refresh reads only the last two or three seconds.
type demandReader struct {
	velocitySecs, viewerSecs int64
	finalLag                 int64                      // a bucket is final this many seconds after it starts
	final                    map[int64]map[string]int64 // second → field → count; owned by the refresher
}

func newDemandReader(cfg Config) *demandReader {
	return &demandReader{
		velocitySecs: int64(math.Ceil(cfg.VelocityWindow.Seconds())),
		viewerSecs:   int64(math.Ceil(cfg.ViewerWindow.Seconds())),
		finalLag:     2 + int64(cfg.FlushInterval/time.Second),
		final:        make(map[int64]map[string]int64),
	}
}

// span returns the first and last second the demand covers at now.
func (d *demandReader) span(now time.Time) (first, last int64) {
	last = now.Unix()
	return last - max(d.velocitySecs, d.viewerSecs) + 1, last
}

// toFetch lists the seconds of the span whose buckets must be read.
func (d *demandReader) toFetch(now time.Time) []int64 {
	first, last := d.span(now)
	var out []int64
	for sec := first; sec <= last; sec++ {
		if _, ok := d.final[sec]; !ok {
			out = append(out, sec)
		}
	}
	return out
}

// demand folds the fetched buckets (second → field → count) and the final
// ones into per-stream demand, and keeps the newly final buckets.
func (d *demandReader) demand(now time.Time, fetched map[int64]map[string]int64) map[string]placement.Demand {
	first, last := d.span(now)
	for sec := range d.final {
		if sec < first {
			delete(d.final, sec)
		}
	}
	for sec, b := range fetched {
		if sec <= last-d.finalLag {
			d.final[sec] = b
		}
	}
	out := make(map[string]placement.Demand)
	velSum := make(map[string]int64)
	for sec := first; sec <= last; sec++ {
		b, ok := fetched[sec]
		if !ok {
			b = d.final[sec]
		}
		inVelocity := sec > last-d.velocitySecs
		inViewers := sec > last-d.viewerSecs
		for field, n := range b {
			stream, region, byRegion := strings.Cut(field, "\t")
			if !byRegion && inVelocity {
				velSum[stream] += n
			}
			if !inViewers {
				continue
			}
			dm := out[stream]
			if byRegion {
				if dm.ByRegion == nil {
					dm.ByRegion = make(map[string]int)
				}
				dm.ByRegion[region] += int(n)
			} else {
				dm.Viewers += int(n)
			}
			out[stream] = dm
		}
	}
	// The current second is only partly over, so the window's length is
	// its whole seconds plus the elapsed fraction.
	frac := float64(now.Nanosecond()) / 1e9
	span := max(float64(d.velocitySecs-1)+frac, 1)
	for stream, n := range velSum {
		dm := out[stream]
		dm.Velocity = float64(n) / span
		out[stream] = dm
	}
	return out
}
