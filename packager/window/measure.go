package window

import "encoding/binary"

// Samples counts the media samples in the segment's bytes so far: the
// sample counts of the trun boxes in its moofs' trafs. Renderers derive a
// frame rate from it.
func (s *Segment) Samples() int {
	data, _ := s.Bytes(0)
	return countSamples(data, 0)
}

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
		case box == "trun" && depth == 2 && len(body) >= 8:
			n += int(binary.BigEndian.Uint32(body[4:]))
		}
		b = b[size:]
	}
	return n
}

// GuessBitrate is a track's bit rate before any segment measures it:
// about 0.1 bit per pixel at 30 frames per second for video, 128 kbit/s
// for audio.
func (t TrackInfo) GuessBitrate() int64 {
	if t.Kind == "video" {
		return max(int64(t.Width)*int64(t.Height)*3, 300_000)
	}
	return 128_000
}
