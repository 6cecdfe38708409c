package play

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histBuckets covers 0 to 2^63 microseconds: 16 exact buckets, then 16
// per power of two.
const histBuckets = 64 * 16

// Histogram counts durations in buckets about 6 % wide, with atomic
// counters so that any number of viewers can observe into one histogram
// without a lock. The zero value is ready to use.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
}

// bucketOf returns the bucket of a value in microseconds: values under 16
// have their own bucket, larger ones keep their top five bits.
func bucketOf(us uint64) int {
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) - 5
	return (e+1)*16 + int(us>>e) - 16
}

// bucketRange returns the smallest value of bucket b and its width.
func bucketRange(b int) (low, width uint64) {
	if b < 16 {
		return uint64(b), 1
	}
	e := b/16 - 1
	return uint64(b%16+16) << e, 1 << e
}

// Observe adds one duration; a negative one counts as zero.
func (h *Histogram) Observe(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(uint64(us))].Add(1)
}

// Snapshot is a histogram's counts at one moment; it is a plain value that
// can be merged and queried.
type Snapshot struct {
	counts [histBuckets]uint64
	total  uint64
}

// Snapshot copies the counts.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{}
	for i := range h.counts {
		n := h.counts[i].Load()
		s.counts[i] = n
		s.total += n
	}
	return s
}

// Drain copies the counts and resets them, for one interval of a time
// series. An observation that lands while it runs goes to this interval or
// the next, never to both.
func (h *Histogram) Drain() *Snapshot {
	s := &Snapshot{}
	for i := range h.counts {
		if h.counts[i].Load() == 0 {
			continue
		}
		n := h.counts[i].Swap(0)
		s.counts[i] = n
		s.total += n
	}
	return s
}

// Count returns the number of observations.
func (s *Snapshot) Count() uint64 { return s.total }

// Quantile returns the duration at or below which a fraction q of the
// observations lie, as the middle of its bucket; 0 when there are none.
func (s *Snapshot) Quantile(q float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	rank := uint64(q * float64(s.total))
	if rank >= s.total {
		rank = s.total - 1
	}
	var cum uint64
	for b, n := range s.counts {
		cum += n
		if cum > rank {
			return mid(b)
		}
	}
	return mid(histBuckets - 1)
}

// Max returns the middle of the highest bucket observed; 0 when empty.
func (s *Snapshot) Max() time.Duration {
	for b := histBuckets - 1; b >= 0; b-- {
		if s.counts[b] > 0 {
			return mid(b)
		}
	}
	return 0
}

// Mean returns the mean of the bucket middles; 0 when empty.
func (s *Snapshot) Mean() time.Duration {
	if s.total == 0 {
		return 0
	}
	var sum float64
	for b, n := range s.counts {
		if n > 0 {
			sum += float64(n) * float64(mid(b))
		}
	}
	return time.Duration(sum / float64(s.total))
}

// Buckets calls f with the middle and count of every non-empty bucket, in
// ascending order.
func (s *Snapshot) Buckets(f func(v time.Duration, n uint64)) {
	for b, n := range s.counts {
		if n > 0 {
			f(mid(b), n)
		}
	}
}

func mid(b int) time.Duration {
	low, width := bucketRange(b)
	if width == 1 {
		return time.Duration(low) * time.Microsecond
	}
	return time.Duration(low+width/2) * time.Microsecond
}
