package push

import (
	"sync/atomic"
	"time"

	"github.com/livetree/livetree/packager"
)

// LateAfter is how far behind its schedule a frame must leave to count as
// late: more than a frame interval or two of timer and scheduling jitter.
const LateAfter = 50 * time.Millisecond

// Stats counts what publishers sent. A nil *Stats counts nothing. Any
// number of publishers may share one.
type Stats struct {
	Frames atomic.Int64 // frames sent
	Bytes  atomic.Int64 // payload bytes sent
	// Late counts frames that left more than LateAfter behind the wall
	// clock schedule their timestamps set.
	Late atomic.Int64
	// LateNanos sums how far behind schedule every frame left, and
	// MaxLateNanos is the furthest behind any did: how far the sender
	// fell behind real time.
	LateNanos, MaxLateNanos atomic.Int64
}

func (s *Stats) frame(f packager.Frame) {
	if s == nil {
		return
	}
	s.Frames.Add(1)
	n := len(f.Data)
	for _, nalu := range f.NALUs {
		n += len(nalu)
	}
	s.Bytes.Add(int64(n))
}

// behind records how far behind its schedule a frame is leaving.
func (s *Stats) behind(d time.Duration) {
	if s == nil || d <= 0 {
		return
	}
	s.LateNanos.Add(int64(d))
	if d > LateAfter {
		s.Late.Add(1)
	}
	for {
		m := s.MaxLateNanos.Load()
		if int64(d) <= m || s.MaxLateNanos.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}
