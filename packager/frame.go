// Package packager cuts a live stream's access units into CMAF chunks,
// parts and segments held in RAM (see package window), ready to be served
// as LL-HLS and LL-DASH. It does no network or disk I/O.
package packager

import "time"

// Kind tells a track's media type.
type Kind uint8

// Track kinds.
const (
	Video Kind = iota + 1
	Audio
)

func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return "unknown"
}

// VideoConfig describes an H.264 track: its parameter sets, without start
// codes or length prefixes.
type VideoConfig struct {
	SPS []byte
	PPS []byte
}

// AudioConfig describes an AAC track by its AudioSpecificConfig (ISO 14496-3).
type AudioConfig struct {
	ASC []byte
}

// Tracks is what a publisher announces when it starts. Either may be nil,
// but not both.
type Tracks struct {
	Video *VideoConfig
	Audio *AudioConfig
}

// Frame is one access unit as an ingest protocol delivers it.
type Frame struct {
	Kind Kind
	// DTS and PTS are the decode and presentation times on the publisher's
	// clock. Only differences matter; the origin may be anything.
	DTS time.Duration
	PTS time.Duration
	// Keyframe marks an IDR picture (video) and is ignored for audio.
	Keyframe bool
	// NALUs holds a video frame's NAL units without start codes or length
	// prefixes. The packager copies them; the caller may reuse the memory.
	NALUs [][]byte
	// Data holds one raw AAC frame (no ADTS header) for audio.
	Data []byte
	// Received is the wall-clock time the frame's last byte was read. It is
	// written into each chunk's prft box and drives latency figures.
	Received time.Time
}
