package hls

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// A segment's wall clock is that of its first sample's decode time, but
// PROGRAM-DATE-TIME dates its first sample's presentation, and players
// align renditions by it on their presentation timeline. Video with
// B-frames presents its keyframe a composition offset (the encoder's
// reordering delay, a frame or two) after decoding it; dating video by
// decode time would put audio that much later than video on a player's
// timeline than it is in the media. hls.js then looks for the next audio
// part at a time its playlist places in a part already loaded, and stops
// loading audio until the buffer runs dry.

// leads remembers, by init segment, how far a track's first presented
// sample lies after its first decoded one. It is a property of the
// encoder's settings, so one measurement per publish and track suffices,
// taken from the newest segment, whose bytes are in memory.
type leads struct {
	mu sync.Mutex // guards byInit
	// byInit holds the offsets of the inits last asked about; it is
	// cleared when it grows past maxLeads, as inits come and go with
	// publishes.
	byInit map[*window.Init]time.Duration
}

// maxLeads bounds leads.byInit: a stream rarely holds more than a few
// publishes of a few tracks in its window.
const maxLeads = 16

// of returns seg's track's presentation lead, measuring it in seg if its
// init has none yet.
func (l *leads) of(seg *window.Segment) time.Duration {
	l.mu.Lock()
	d, ok := l.byInit[seg.Init]
	l.mu.Unlock()
	if ok {
		return d
	}
	d, ok = presentationLead(seg)
	if !ok {
		return 0 // the segment has no chunk to measure yet; ask again later
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byInit == nil || len(l.byInit) >= maxLeads {
		l.byInit = make(map[*window.Init]time.Duration)
	}
	l.byInit[seg.Init] = d
	return d
}

// presentationLead returns how long after its decode time seg's first
// sample is presented: its composition offset, 0 when it has none. ok is
// false when the segment's first chunk cannot be read.
func presentationLead(seg *window.Segment) (d time.Duration, ok bool) {
	ts := seg.Init.Info.Timescale
	chunks := seg.Chunks(0)
	if ts == 0 || len(chunks) == 0 {
		return 0, false
	}
	data, _ := seg.Bytes(0)
	if len(data) > chunks[0].Size {
		data = data[:chunks[0].Size]
	}
	cto, ok := firstCompositionOffset(data, 0)
	if !ok {
		return 0, false
	}
	return time.Duration(max(cto, 0)) * time.Second / time.Duration(ts), true
}

// trun flags (ISO/IEC 14496-12, 8.8.8).
const (
	trunDataOffset       = 0x000001
	trunFirstSampleFlags = 0x000004
	trunSampleDuration   = 0x000100
	trunSampleSize       = 0x000200
	trunSampleFlags      = 0x000400
	trunSampleCTO        = 0x000800
)

// firstCompositionOffset returns the composition time offset of the first
// sample of the first trun in b's moofs (b holds top-level boxes: prft,
// moof, mdat), 0 when the trun has no offsets. ok is false when there is
// no such sample.
func firstCompositionOffset(b []byte, depth int) (cto int32, ok bool) {
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			return 0, false
		}
		box, body := string(b[4:8]), b[8:size]
		switch {
		case (box == "moof" || box == "traf") && depth < 2:
			if cto, ok := firstCompositionOffset(body, depth+1); ok {
				return cto, true
			}
		case box == "trun" && depth == 2:
			return trunFirstCTO(body)
		}
		b = b[size:]
	}
	return 0, false
}

// trunFirstCTO reads the first sample's composition offset from a trun
// box's body.
func trunFirstCTO(body []byte) (int32, bool) {
	if len(body) < 8 {
		return 0, false
	}
	version := body[0]
	flags := binary.BigEndian.Uint32(body[:4]) & 0xffffff
	if binary.BigEndian.Uint32(body[4:8]) == 0 {
		return 0, false
	}
	if flags&trunSampleCTO == 0 {
		return 0, true
	}
	off := 8
	for _, f := range []uint32{trunDataOffset, trunFirstSampleFlags, trunSampleDuration, trunSampleSize, trunSampleFlags} {
		if flags&f != 0 {
			off += 4
		}
	}
	if len(body) < off+4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(body[off:])
	if version == 0 && v > 1<<31-1 {
		return 0, false // unsigned in version 0: beyond what a real offset is
	}
	return int32(v), true
}
