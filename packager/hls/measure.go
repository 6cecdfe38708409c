package hls

import (
	"encoding/binary"

	"github.com/livetree/livetree/packager/window"
)

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

// estimate is a bit rate for a track with no complete segment yet: about
// 0.1 bit per pixel at 30 frames per second for video, 128 kbit/s for audio.
func estimate(in *window.Init) int64 {
	if in.Info.Kind == "video" {
		return max(int64(in.Info.Width)*int64(in.Info.Height)*3, 300_000)
	}
	return 128_000
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
		data, _ := s.Bytes(0)
		n := countSamples(data, 0)
		ticks := s.Ticks()
		if n == 0 || ticks == 0 {
			return 0
		}
		return int64((uint64(n)*uint64(s.Init.Info.Timescale)*1000 + ticks/2) / ticks)
	}
	return 0
}

// countSamples adds up the sample counts of the trun boxes in b's moofs.
func countSamples(b []byte, depth int) int {
	n := 0
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			return n
		}
		box, body := string(b[4:8]), b[8:size]
		switch {
		case (box == "moof" || box == "traf") && depth < 2:
			n += countSamples(body, depth+1)
		case box == "trun" && len(body) >= 8:
			n += int(binary.BigEndian.Uint32(body[4:]))
		}
		b = b[size:]
	}
	return n
}
