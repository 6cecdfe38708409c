package packager

import (
	"fmt"
	"time"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// sample is one frame on its track's timeline, waiting to be written.
type sample struct {
	dts  uint64 // in the track's timescale
	cto  int32  // composition time offset
	dur  uint32
	sync bool
	wall time.Time // ingest wall clock of the sample's decode time
	size int       // payload bytes: AVCC length-prefixed NALUs, or raw AAC
}

// chunkEncoder writes prft+moof+mdat for one track, reusing one mp4ff
// fragment and one scratch buffer so that a chunk costs no allocation of
// boxes.
type chunkEncoder struct {
	trackID uint32
	frag    *mp4.Fragment
	seq     uint32 // mfhd sequence number, continuing across publishes
	buf     []byte // scratch; the window copies what it keeps
}

func newChunkEncoder(trackID uint32) *chunkEncoder {
	frag, _ := mp4.CreateFragment(0, trackID) // cannot fail for a single track
	return &chunkEncoder{trackID: trackID, frag: frag}
}

// prftSize is a version-1 prft box: header 8, version+flags 4, track 4,
// NTP 8, media time 8.
const prftSize = 32

// encode returns the chunk for samples whose payloads, in order, are payload.
// The result is valid until the next call.
func (e *chunkEncoder) encode(samples []sample, payload []byte) ([]byte, error) {
	e.seq++
	moof := e.frag.Moof
	moof.Mfhd.SequenceNumber = e.seq
	traf := moof.Traf
	traf.Tfdt.SetBaseMediaDecodeTime(samples[0].dts)
	trun := traf.Trun
	trun.Samples = trun.Samples[:0]
	for _, s := range samples {
		flags := mp4.NonSyncSampleFlags
		if s.sync {
			flags = mp4.SyncSampleFlags
		}
		trun.AddSample(mp4.Sample{Flags: flags, Dur: s.dur, Size: uint32(s.size), CompositionTimeOffset: s.cto})
	}
	moofSize := int(moof.Size())
	trun.DataOffset = int32(moofSize + 8)
	total := prftSize + moofSize + 8 + len(payload)
	if cap(e.buf) < total {
		e.buf = make([]byte, total+total/4)
	}
	out := e.buf[:total]
	sw := bits.NewFixedSliceWriterFromSlice(out)
	prft := mp4.PrftBox{
		Version:          1,
		ReferenceTrackID: e.trackID,
		NTPTimestamp:     ntp(samples[0].wall),
		MediaTime:        samples[0].dts,
	}
	if err := prft.EncodeSW(sw); err != nil {
		return nil, fmt.Errorf("packager: encoding prft: %w", err)
	}
	if err := moof.EncodeSW(sw); err != nil {
		return nil, fmt.Errorf("packager: encoding moof: %w", err)
	}
	sw.WriteUint32(uint32(8 + len(payload)))
	sw.WriteString("mdat", false)
	sw.WriteBytes(payload)
	if err := sw.AccError(); err != nil {
		return nil, fmt.Errorf("packager: encoding chunk: %w", err)
	}
	return out, nil
}

// ntpEpochOffset is the seconds between 1900 (NTP) and 1970 (Unix).
const ntpEpochOffset = 2208988800

func ntp(t time.Time) mp4.NTP64 {
	sec := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return mp4.NTP64(sec<<32 | frac)
}

// PrftTime returns the wall-clock time in a chunk's leading prft box, the
// instant its first sample was ingested.
func PrftTime(chunk []byte) (time.Time, bool) {
	if len(chunk) < prftSize || string(chunk[4:8]) != "prft" || chunk[8] != 1 {
		return time.Time{}, false
	}
	v := uint64(chunk[16])<<56 | uint64(chunk[17])<<48 | uint64(chunk[18])<<40 | uint64(chunk[19])<<32 |
		uint64(chunk[20])<<24 | uint64(chunk[21])<<16 | uint64(chunk[22])<<8 | uint64(chunk[23])
	sec := int64(v>>32) - ntpEpochOffset
	nsec := int64((v & 0xffffffff) * 1e9 >> 32)
	return time.Unix(sec, nsec), true
}
