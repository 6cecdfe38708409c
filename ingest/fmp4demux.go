package ingest

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/livetree/livetree/packager"
)

// maxBoxBytes bounds one top-level box of a fragmented MP4 push; a 200 ms
// fragment of even a 100 Mbit/s stream is well under it.
const maxBoxBytes = 16 << 20

// fmp4Track is what the demuxer keeps of one track of the init segment.
type fmp4Track struct {
	kind      packager.Kind
	timescale uint32
	trex      *mp4.TrexBox
	// next is the decode time following the last sample, used when a
	// fragment has no tfdt.
	next uint64
}

// fmp4Sample is one sample cut out of an mdat.
type fmp4Sample struct {
	kind     packager.Kind
	dts, pts time.Duration
	data     []byte
}

// fmp4Demuxer reads a fragmented MP4 stream (an init segment, then
// moof+mdat pairs, optionally with styp, sidx, prft or emsg between) into a
// sink.
type fmp4Demuxer struct {
	r      io.Reader
	s      *sink
	maxBox int

	pos      uint64 // stream offset of the next box
	buf      []byte
	tracks   map[uint32]*fmp4Track
	moof     *mp4.MoofBox
	moofPos  uint64
	samples  []fmp4Sample
	naluBufs [][]byte
}

// demuxFMP4 reads r until EOF, feeding its H.264 and AAC tracks to s.
func demuxFMP4(r io.Reader, s *sink, maxBox int) error {
	d := &fmp4Demuxer{r: r, s: s, maxBox: maxBox}
	for {
		err := d.box()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// box reads and handles one top-level box. It returns io.EOF only at a box
// boundary.
func (d *fmp4Demuxer) box() error {
	var hdr [16]byte
	if _, err := io.ReadFull(d.r, hdr[:8]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: stream ends inside a box header", ErrBadMedia)
		}
		return err
	}
	size := uint64(binary.BigEndian.Uint32(hdr[:4]))
	typ := string(hdr[4:8])
	hdrLen := uint64(8)
	switch size {
	case 0:
		return fmt.Errorf("%w: box %q extends to the end of the stream", ErrBadMedia, printable(typ))
	case 1:
		if _, err := io.ReadFull(d.r, hdr[8:16]); err != nil {
			return fmt.Errorf("%w: stream ends inside a box header", ErrBadMedia)
		}
		size = binary.BigEndian.Uint64(hdr[8:16])
		hdrLen = 16
	}
	if size < hdrLen {
		return fmt.Errorf("%w: box %q has size %d", ErrBadMedia, printable(typ), size)
	}
	if size > uint64(d.maxBox) {
		return fmt.Errorf("%w: box %q claims %d bytes, limit %d", ErrTooLarge, printable(typ), size, d.maxBox)
	}
	// The buffer grows as the box's bytes arrive rather than to the size the
	// header claims, so a lying header costs nothing.
	d.buf = append(d.buf[:0], hdr[:hdrLen]...)
	for rest := int(size - hdrLen); rest > 0; {
		n := min(rest, 1<<20)
		d.buf = slices.Grow(d.buf, n)
		if _, err := io.ReadFull(d.r, d.buf[len(d.buf):len(d.buf)+n]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: stream ends inside box %q", ErrBadMedia, printable(typ))
			}
			return err
		}
		d.buf = d.buf[:len(d.buf)+n]
		rest -= n
	}
	pos := d.pos
	d.pos += size

	switch typ {
	case "moov":
		return d.onMoov(pos)
	case "moof":
		if d.tracks == nil {
			return fmt.Errorf("%w: moof before the init segment (moov)", ErrBadMedia)
		}
		b, err := mp4.DecodeBoxSR(pos, bits.NewFixedSliceReader(d.buf))
		if err != nil {
			return fmt.Errorf("%w: moof: %w", ErrBadMedia, err)
		}
		d.moof, d.moofPos = b.(*mp4.MoofBox), pos
		return nil
	case "mdat":
		if d.moof == nil {
			return fmt.Errorf("%w: mdat without a moof", ErrBadMedia)
		}
		err := d.onMdat(pos+hdrLen, d.buf[hdrLen:], time.Now())
		d.moof = nil
		return err
	}
	// ftyp, styp, sidx, prft, emsg, free and anything unknown carry
	// nothing the packager needs.
	return nil
}

// onMoov reads the init segment's tracks.
func (d *fmp4Demuxer) onMoov(pos uint64) error {
	b, err := mp4.DecodeBoxSR(pos, bits.NewFixedSliceReader(d.buf))
	if err != nil {
		return fmt.Errorf("%w: moov: %w", ErrBadMedia, err)
	}
	moov := b.(*mp4.MoovBox)
	tracks := make(map[uint32]*fmp4Track)
	var video, audio bool
	for _, trak := range moov.Traks {
		if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Hdlr == nil || trak.Mdia.Mdhd == nil ||
			trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil {
			return fmt.Errorf("%w: moov: incomplete trak", ErrBadMedia)
		}
		if trak.Mdia.Mdhd.Timescale == 0 {
			return fmt.Errorf("%w: track %d has timescale 0", ErrBadMedia, trak.Tkhd.TrackID)
		}
		stsd := trak.Mdia.Minf.Stbl.Stsd
		t := &fmp4Track{timescale: trak.Mdia.Mdhd.Timescale}
		switch trak.Mdia.Hdlr.HandlerType {
		case "vide":
			if video {
				return fmt.Errorf("%w: more than one video track", ErrUnsupportedCodec)
			}
			if stsd.AvcX == nil || stsd.AvcX.AvcC == nil {
				return fmt.Errorf("%w: video track %d is %s (want H.264)", ErrUnsupportedCodec, trak.Tkhd.TrackID, sampleEntryName(stsd))
			}
			rec := stsd.AvcX.AvcC.DecConfRec
			if len(rec.SPSnalus) == 0 || len(rec.PPSnalus) == 0 {
				return fmt.Errorf("%w: avcC without SPS or PPS", ErrBadMedia)
			}
			d.s.setVideoConfig(rec.SPSnalus[0], rec.PPSnalus[0])
			t.kind, video = packager.Video, true
		case "soun":
			if audio {
				return fmt.Errorf("%w: more than one audio track", ErrUnsupportedCodec)
			}
			asc, err := aacConfig(stsd)
			if err != nil {
				return err
			}
			d.s.setAudioConfig(asc)
			t.kind, audio = packager.Audio, true
		default:
			continue // subtitles, metadata: ignored
		}
		tracks[trak.Tkhd.TrackID] = t
	}
	if !video && !audio {
		return fmt.Errorf("%w: no H.264 or AAC track in the init segment", ErrUnsupportedCodec)
	}
	if moov.Mvex != nil {
		for _, trex := range moov.Mvex.Trexs {
			if t := tracks[trex.TrackID]; t != nil {
				t.trex = trex
			}
		}
	}
	d.tracks = tracks
	d.s.expect(video, audio)
	return nil
}

// aacConfig returns the AudioSpecificConfig of an mp4a sample entry, or
// ErrUnsupportedCodec for any other audio.
func aacConfig(stsd *mp4.StsdBox) ([]byte, error) {
	if stsd.Mp4a == nil {
		return nil, fmt.Errorf("%w: audio is %s (want AAC)", ErrUnsupportedCodec, sampleEntryName(stsd))
	}
	esds := stsd.Mp4a.Esds
	if esds == nil || esds.DecConfigDescriptor == nil {
		return nil, fmt.Errorf("%w: mp4a without esds", ErrBadMedia)
	}
	// 0x40 is MPEG-4 audio; mp4a also carries MP3 (0x69, 0x6b) and others.
	if ot := esds.DecConfigDescriptor.ObjectType; ot != 0x40 {
		return nil, fmt.Errorf("%w: mp4a object type 0x%02x (want 0x40, AAC)", ErrUnsupportedCodec, ot)
	}
	dsi := esds.DecConfigDescriptor.DecSpecificInfo
	if dsi == nil || len(dsi.DecConfig) < 2 {
		return nil, fmt.Errorf("%w: esds without an AudioSpecificConfig", ErrBadMedia)
	}
	return dsi.DecConfig, nil
}

// onMdat cuts the samples the pending moof describes out of payload, which
// starts at stream offset payloadPos, and writes them in decode order.
func (d *fmp4Demuxer) onMdat(payloadPos uint64, payload []byte, received time.Time) error {
	d.samples = d.samples[:0]
	prevEnd := d.moofPos
	for i, traf := range d.moof.Trafs {
		if traf.Tfhd == nil {
			return fmt.Errorf("%w: traf without tfhd", ErrBadMedia)
		}
		tfhd := traf.Tfhd
		t := d.tracks[tfhd.TrackID]
		base := prevEnd
		switch {
		case tfhd.HasBaseDataOffset():
			base = tfhd.BaseDataOffset
		case tfhd.DefaultBaseIfMoof() || i == 0:
			base = d.moofPos
		}
		dataPos := int64(base)
		var decode uint64
		switch {
		case traf.Tfdt != nil:
			decode = traf.Tfdt.BaseMediaDecodeTime()
		case t != nil:
			decode = t.next
		}
		for _, trun := range traf.Truns {
			var trex *mp4.TrexBox
			if t != nil {
				trex = t.trex
			}
			trun.AddSampleDefaultValues(tfhd, trex)
			if trun.HasDataOffset() {
				dataPos = int64(base) + int64(trun.DataOffset)
			}
			for _, smp := range trun.Samples {
				start := dataPos - int64(payloadPos)
				end := start + int64(smp.Size)
				if start < 0 || end > int64(len(payload)) {
					return fmt.Errorf("%w: track %d sample lies outside the mdat", ErrBadMedia, tfhd.TrackID)
				}
				if t != nil {
					dts := ticks(decode, t.timescale)
					d.samples = append(d.samples, fmp4Sample{
						kind: t.kind, dts: dts,
						pts:  dts + ticksSigned(int64(smp.CompositionTimeOffset), t.timescale),
						data: payload[start:end],
					})
				}
				decode += uint64(smp.Dur)
				dataPos = int64(payloadPos) + end
			}
		}
		if t != nil {
			t.next = decode
		}
		prevEnd = uint64(dataPos)
	}
	slices.SortStableFunc(d.samples, func(a, b fmp4Sample) int {
		return cmp.Compare(a.dts, b.dts)
	})
	for _, smp := range d.samples {
		if err := d.writeSample(smp, received); err != nil {
			return err
		}
	}
	return nil
}

func (d *fmp4Demuxer) writeSample(smp fmp4Sample, received time.Time) error {
	if smp.kind == packager.Audio {
		return d.s.writeAudio(smp.pts, smp.data, received)
	}
	nalus, ok := splitAVCC(smp.data, d.naluBufs[:0])
	d.naluBufs = nalus
	if !ok {
		d.s.stats.BadFrames.Add(1)
		d.s.log.Debug().Dur("dts", smp.dts).Msg("malformed AVCC sample dropped")
		return nil
	}
	return d.s.writeVideo(smp.dts, smp.pts, nalus, received)
}

// splitAVCC splits a sample of 4-byte length-prefixed NAL units, appending
// them to dst. It reports false if a length runs past the end.
func splitAVCC(b []byte, dst [][]byte) ([][]byte, bool) {
	for len(b) > 0 {
		if len(b) < 4 {
			return dst, false
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return dst, false
		}
		if n > 0 {
			dst = append(dst, b[:n])
		}
		b = b[n:]
	}
	return dst, true
}

// ticks converts a time in timescale units to a duration.
func ticks(t uint64, timescale uint32) time.Duration {
	ts := uint64(timescale)
	return time.Duration(t/ts)*time.Second + time.Duration(t%ts)*time.Second/time.Duration(ts)
}

func ticksSigned(t int64, timescale uint32) time.Duration {
	if t < 0 {
		return -ticks(uint64(-t), timescale)
	}
	return ticks(uint64(t), timescale)
}

// sampleEntryName names the sample entry of an unsupported track.
func sampleEntryName(stsd *mp4.StsdBox) string {
	if len(stsd.Children) > 0 {
		return fmt.Sprintf("%q", printable(stsd.Children[0].Type()))
	}
	return "an empty sample description"
}

// printable replaces bytes outside printable ASCII so a box type from the
// wire is safe to put in a log line or an error body.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
