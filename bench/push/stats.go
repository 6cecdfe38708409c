package push

import (
	"sync/atomic"

	"github.com/livetree/livetree/packager"
)

// Stats counts what publishers sent. A nil *Stats counts nothing.
type Stats struct {
	Frames atomic.Int64 // frames sent
	Bytes  atomic.Int64 // payload bytes sent
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
