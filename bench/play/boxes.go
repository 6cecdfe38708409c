package play

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/livetree/livetree/packager"
)

// maxKeptBox bounds a box the scanner holds whole (prft, moof); mdat,
// the only large box, is skipped.
const maxKeptBox = 1 << 20

// chunkScanner reads a CMAF body (prft+moof+mdat chunks, possibly after
// an styp) as it arrives, in pieces of any size, and reports each chunk
// when its mdat ends: the ingest wall clock from its prft and its media
// duration from its moof. It keeps only the small boxes and never the
// media, so a viewer's cost does not grow with the bitrate.
type chunkScanner struct {
	// defaultDur is the track's default sample duration from the init
	// segment (trex), used when a fragment names none of its own.
	defaultDur uint32

	hdr   [16]byte
	hn    int     // header bytes gathered
	inBox bool    // a box header has been read and its body is coming
	typ   [4]byte // type of the box being read, while inBox
	left  uint64  // body bytes of the current box still to come
	keep  []byte  // body of a box held whole

	prft  time.Time // wall clock of the chunk being read; zero if none
	ticks uint64    // media duration of the chunk being read, from its moof
	chunk func(c scannedChunk)
	err   error
}

// scannedChunk is one complete chunk.
type scannedChunk struct {
	Prft  time.Time // zero when the chunk carried no prft
	Ticks uint64    // media duration in the track's timescale
}

// reset prepares the scanner for a new body.
func (s *chunkScanner) reset(defaultDur uint32, chunk func(scannedChunk)) {
	s.defaultDur, s.chunk = defaultDur, chunk
	s.hn, s.inBox, s.left, s.keep = 0, false, 0, s.keep[:0]
	s.prft, s.ticks, s.err = time.Time{}, 0, nil
}

// complete reports whether the body ended on a box boundary.
func (s *chunkScanner) complete() bool { return s.err == nil && s.hn == 0 && !s.inBox }

// Write consumes the next bytes of the body. It fails, and keeps failing,
// on bytes that are not a sequence of boxes.
func (s *chunkScanner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.err == nil {
		if !s.inBox {
			p = s.header(p)
			continue
		}
		take := uint64(len(p))
		if take > s.left {
			take = s.left
		}
		if string(s.typ[:]) != "mdat" {
			s.keep = append(s.keep, p[:take]...)
		}
		p = p[take:]
		s.left -= take
		if s.left == 0 {
			s.endBox()
		}
	}
	if s.err != nil {
		return n - len(p), s.err
	}
	return n, nil
}

// header gathers a box header from p and returns the rest of p.
func (s *chunkScanner) header(p []byte) []byte {
	need := 8
	if s.hn >= 8 && binary.BigEndian.Uint32(s.hdr[:4]) == 1 {
		need = 16
	}
	c := copy(s.hdr[s.hn:need], p)
	s.hn += c
	p = p[c:]
	if s.hn < 8 {
		return p
	}
	size := uint64(binary.BigEndian.Uint32(s.hdr[:4]))
	hlen := uint64(8)
	if size == 1 {
		if s.hn < 16 {
			return p
		}
		size, hlen = binary.BigEndian.Uint64(s.hdr[8:16]), 16
	}
	typ := s.hdr[4:8]
	if size < hlen {
		s.err = fmt.Errorf("%w: box %q of size %d", ErrBadMedia, printable(typ), size)
		return p
	}
	if string(typ) != "mdat" && size-hlen > maxKeptBox {
		s.err = fmt.Errorf("%w: %q box of %d bytes", ErrBadMedia, printable(typ), size)
		return p
	}
	s.hn, s.inBox, s.left = 0, true, size-hlen
	copy(s.typ[:], typ)
	s.keep = s.keep[:0]
	if s.left == 0 {
		s.endBox()
	}
	return p
}

// endBox handles a box whose body is complete.
func (s *chunkScanner) endBox() {
	switch string(s.typ[:]) {
	case "prft":
		// PrftTime reads the whole box, header included.
		var b [32]byte
		if len(s.keep) == 24 {
			binary.BigEndian.PutUint32(b[:4], 32)
			copy(b[4:8], "prft")
			copy(b[8:], s.keep)
			if t, ok := packager.PrftTime(b[:]); ok {
				s.prft = t
			}
		}
	case "moof":
		ticks, err := moofDuration(s.keep, s.defaultDur)
		if err != nil {
			s.err = err
			return
		}
		s.ticks = ticks
	case "mdat":
		if s.chunk != nil {
			s.chunk(scannedChunk{Prft: s.prft, Ticks: s.ticks})
		}
		s.prft, s.ticks = time.Time{}, 0
	}
	s.inBox = false
	s.keep = s.keep[:0]
}

// printable keeps a box type from a hostile body short and readable.
func printable(t []byte) string {
	b := append([]byte(nil), t...)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// moofDuration sums the sample durations of every track run of a moof
// body: from each sample when the trun carries them, else the tfhd's
// default, else def.
func moofDuration(moof []byte, def uint32) (uint64, error) {
	var total uint64
	err := eachBox(moof, func(typ [4]byte, body []byte) error {
		if typ != boxTraf {
			return nil
		}
		dur := def
		return eachBox(body, func(typ [4]byte, body []byte) error {
			switch typ {
			case boxTfhd:
				d, ok, err := tfhdDefaultDuration(body)
				if err != nil {
					return err
				}
				if ok {
					dur = d
				}
			case boxTrun:
				t, err := trunDuration(body, dur)
				if err != nil {
					return err
				}
				total += t
			}
			return nil
		})
	})
	return total, err
}

// eachBox calls f with the type and body of each box in b.
func eachBox(b []byte, f func(typ [4]byte, body []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: %d stray bytes in a box", ErrBadMedia, len(b))
		}
		size := uint64(binary.BigEndian.Uint32(b))
		hlen := uint64(8)
		if size == 1 {
			if len(b) < 16 {
				return fmt.Errorf("%w: short large box header", ErrBadMedia)
			}
			size, hlen = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hlen || size > uint64(len(b)) {
			return fmt.Errorf("%w: box size %d in %d bytes", ErrBadMedia, size, len(b))
		}
		if err := f([4]byte(b[4:8]), b[hlen:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// Box types the moof walk looks for.
var (
	boxTraf = [4]byte{'t', 'r', 'a', 'f'}
	boxTfhd = [4]byte{'t', 'f', 'h', 'd'}
	boxTrun = [4]byte{'t', 'r', 'u', 'n'}
)

// tfhd and trun flags.
const (
	tfhdBaseDataOffset   = 0x01
	tfhdSampleDescIndex  = 0x02
	tfhdDefaultDur       = 0x08
	trunDataOffset       = 0x01
	trunFirstSampleFlags = 0x04
	trunSampleDuration   = 0x100
	trunSampleSize       = 0x200
	trunSampleFlags      = 0x400
	trunSampleCTO        = 0x800
)

func tfhdDefaultDuration(b []byte) (uint32, bool, error) {
	if len(b) < 8 {
		return 0, false, fmt.Errorf("%w: short tfhd", ErrBadMedia)
	}
	flags := binary.BigEndian.Uint32(b) & 0xffffff
	if flags&tfhdDefaultDur == 0 {
		return 0, false, nil
	}
	off := 8
	if flags&tfhdBaseDataOffset != 0 {
		off += 8
	}
	if flags&tfhdSampleDescIndex != 0 {
		off += 4
	}
	if len(b) < off+4 {
		return 0, false, fmt.Errorf("%w: short tfhd", ErrBadMedia)
	}
	return binary.BigEndian.Uint32(b[off:]), true, nil
}

func trunDuration(b []byte, def uint32) (uint64, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%w: short trun", ErrBadMedia)
	}
	flags := binary.BigEndian.Uint32(b) & 0xffffff
	count := uint64(binary.BigEndian.Uint32(b[4:]))
	off := 8
	if flags&trunDataOffset != 0 {
		off += 4
	}
	if flags&trunFirstSampleFlags != 0 {
		off += 4
	}
	if flags&trunSampleDuration == 0 {
		return count * uint64(def), nil
	}
	per := 4
	for _, f := range []uint32{trunSampleSize, trunSampleFlags, trunSampleCTO} {
		if flags&f != 0 {
			per += 4
		}
	}
	if uint64(len(b)-min(off, len(b))) < count*uint64(per) || len(b) < off {
		return 0, fmt.Errorf("%w: trun of %d samples in %d bytes", ErrBadMedia, count, len(b))
	}
	var total uint64
	for i := uint64(0); i < count; i++ {
		total += uint64(binary.BigEndian.Uint32(b[off:]))
		off += per
	}
	return total, nil
}
