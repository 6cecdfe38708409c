package hls

import "github.com/livetree/livetree/packager/window"

// bitrates measures a track's peak and average bit rate over its complete
// segments in the window; ok is false when there is none.
func bitrates(tr *window.Track) (peak, avg int64, ok bool) {
	var bytes, secs float64
	for _, s := range tr.Segments() {
		if !s.Complete() {
			continue
		}
		ts := s.Init.Info.Timescale
		ticks := s.Ticks()
		if ts == 0 || ticks == 0 {
			continue
		}
		size := float64(s.Size())
		d := float64(ticks) / float64(ts)
		if r := int64(size * 8 / d); r > peak {
			peak = r
		}
		bytes += size
		secs += d
	}
	if secs == 0 {
		return 0, 0, false
	}
	return peak, int64(bytes * 8 / secs), true
}

// frameRate returns a video track's frame rate in thousandths of a frame
// per second, counting the samples of its newest complete segment's moofs;
// 0 when unknown.
func frameRate(tr *window.Track) int64 {
	segs := tr.Segments()
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		if !s.Complete() {
			continue
		}
		n := s.Samples()
		ticks := s.Ticks()
		if n == 0 || ticks == 0 {
			return 0
		}
		return int64((uint64(n)*uint64(s.Init.Info.Timescale)*1000 + ticks/2) / ticks)
	}
	return 0
}
