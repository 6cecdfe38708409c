package dash

import (
	"encoding/binary"
	"strconv"

	"github.com/livetree/livetree/packager/window"
)

// bandwidth is a track's peak bit rate over its complete segments in the
// window, or an estimate before there is one: about 0.1 bit per pixel at 30
// frames per second for video, 128 kbit/s for audio.
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
	if in.Info.Kind == "video" {
		return max(int64(in.Info.Width)*int64(in.Info.Height)*3, 300_000)
	}
	return 128_000
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
		data, _ := s.Bytes(0)
		n, d := uint64(countSamples(data, 0))*uint64(s.Init.Info.Timescale), s.Ticks()
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
