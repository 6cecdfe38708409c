package play

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// trackInit is what the client needs of an init segment to time media.
type trackInit struct {
	timescale  uint32
	defaultDur uint32 // trex default sample duration; 0 if none
}

// parseInit reads the first track's timescale and default sample
// duration from a CMAF init segment.
func parseInit(body []byte) (ti trackInit, err error) {
	// Top-level boxes that claim more bytes than the body has would make
	// the decoder reserve what they claim; refuse them first. A decoder
	// panic on a hostile body fails the parse rather than the whole run.
	if err := eachBox(body, func([4]byte, []byte) error { return nil }); err != nil {
		return trackInit{}, fmt.Errorf("%w: init segment: %v", ErrBadMedia, err)
	}
	defer func() {
		if r := recover(); r != nil {
			ti, err = trackInit{}, fmt.Errorf("%w: init segment: decoder panic: %v", ErrBadMedia, r)
		}
	}()
	f, err := mp4.DecodeFile(bytes.NewReader(body))
	if err != nil {
		return trackInit{}, fmt.Errorf("%w: init segment: %v", ErrBadMedia, err)
	}
	if f.Init == nil || f.Init.Moov == nil || len(f.Init.Moov.Traks) == 0 {
		return trackInit{}, fmt.Errorf("%w: init segment without a track", ErrBadMedia)
	}
	trak := f.Init.Moov.Traks[0]
	if trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Mdhd.Timescale == 0 {
		return trackInit{}, fmt.Errorf("%w: init segment without a timescale", ErrBadMedia)
	}
	ti = trackInit{timescale: trak.Mdia.Mdhd.Timescale}
	if mvex := f.Init.Moov.Mvex; mvex != nil && trak.Tkhd != nil {
		if trex, ok := mvex.GetTrex(trak.Tkhd.TrackID); ok {
			ti.defaultDur = trex.DefaultSampleDuration
		}
	}
	return ti, nil
}
