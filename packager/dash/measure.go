package dash

import (
	"strconv"

	"github.com/livetree/livetree/packager/window"
)

// bandwidth is a track's peak bit rate over its complete segments in the
// window, or a guess before there is one.
func bandwidth(tr *window.Track, in *window.Init) int64 {
	var peak int64
	for _, s := range tr.Segments() {
		ts, ticks := s.Init.Info.Timescale, s.Ticks()
		if !s.Complete() || ts == 0 || ticks == 0 {
			continue
		}
		if r := int64(uint64(s.Size()) * 8 * uint64(ts) / ticks); r > peak {
			peak = r
		}
	}
	if peak > 0 {
		return peak
	}
	return in.Info.GuessBitrate()
}

// appendFrameRate appends a video track's frame rate as DASH writes it, an
// integer or a reduced fraction, counting the samples in the moofs of its
// newest complete segment. It reports false when that is unknown.
func appendFrameRate(b []byte, tr *window.Track) ([]byte, bool) {
	segs := tr.Segments()
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		if !s.Complete() {
			continue
		}
		n, d := uint64(s.Samples())*uint64(s.Init.Info.Timescale), s.Ticks()
		if n == 0 || d == 0 {
			return b, false
		}
		g := gcd(n, d)
		n, d = n/g, d/g
		b = strconv.AppendUint(b, n, 10)
		if d != 1 {
			b = append(b, '/')
			b = strconv.AppendUint(b, d, 10)
		}
		return b, true
	}
	return b, false
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// chunkDuration estimates a track's chunk duration from its newest chunk.
func chunkDuration(tr *window.Track) (ticks uint64, ok bool) {
	last, found := tr.Last()
	if !found {
		return 0, false
	}
	chunks := last.Chunks(0)
	if len(chunks) == 0 {
		return 0, false
	}
	ticks = uint64(chunks[len(chunks)-1].Duration)
	return ticks, ticks > 0
}
