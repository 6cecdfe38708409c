package feed

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// Version is the feed format this package writes and reads.
const Version = 1

// Magic opens every feed.
const Magic = "LTFD"

// Limits a Reader enforces on what a parent sends.
const (
	// MaxFrameSize bounds a frame's payload. A chunk is at most a part, and
	// a part of 200 ms at 80 Mb/s is 2 MB, so this leaves ample room.
	MaxFrameSize = 16 << 20
	// MaxTrackID bounds track IDs (1 video, 2 audio today).
	MaxTrackID = 255
	// maxPart and maxIndex bound a part's index and a chunk's index in its
	// segment far above what a segment of a few seconds holds.
	maxPart  = 1 << 20
	maxIndex = 1 << 24
	// maxDim bounds a picture's width or height and an audio track's
	// channels and sample rate.
	maxDim = 1 << 20
	// maxMSN bounds segment numbers so that no count ever wraps around.
	maxMSN = 1 << 62
)

// headerSize is the length of the feed header: magic, version, then
// SegmentTarget, PartTarget and Span in nanoseconds and MinSegments.
const headerSize = len(Magic) + 1 + 8 + 8 + 8 + 4

// frameHeaderSize is the length of a frame's type and length.
const frameHeaderSize = 5

// FrameType tells what a frame carries.
type FrameType uint8

// Frame types.
const (
	FrameInit FrameType = iota + 1
	FrameChunk
	FrameSegmentEnd
	FrameEnd
	FrameHeartbeat
	// FrameLive follows the catch-up: what comes after it is live.
	FrameLive
)

func (t FrameType) String() string {
	switch t {
	case FrameInit:
		return "init"
	case FrameChunk:
		return "chunk"
	case FrameSegmentEnd:
		return "segment-end"
	case FrameEnd:
		return "end"
	case FrameHeartbeat:
		return "heartbeat"
	case FrameLive:
		return "live"
	}
	return fmt.Sprintf("frame-type-%d", uint8(t))
}

// Chunk flags.
const (
	flagIndependent = 1 << iota
	flagEndOfPart
	flagDiscontinuity
	flagWallclock // the chunk has a wall clock; the zero time has none
	flagsKnown    = flagIndependent | flagEndOfPart | flagDiscontinuity | flagWallclock
)

func appendHeader(b []byte, c window.Config) []byte {
	b = append(b, Magic...)
	b = append(b, Version)
	b = binary.BigEndian.AppendUint64(b, uint64(c.SegmentTarget))
	b = binary.BigEndian.AppendUint64(b, uint64(c.PartTarget))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Span))
	return binary.BigEndian.AppendUint32(b, uint32(c.MinSegments))
}

func parseHeader(b []byte) (window.Config, error) {
	var c window.Config
	if len(b) != headerSize || string(b[:4]) != Magic {
		return c, fmt.Errorf("%w: no magic", ErrBadHeader)
	}
	if b[4] != Version {
		return c, fmt.Errorf("%w: version %d, want %d", ErrBadHeader, b[4], Version)
	}
	b = b[5:]
	dur := func(i int) time.Duration { return time.Duration(binary.BigEndian.Uint64(b[i:])) }
	c.SegmentTarget, c.PartTarget, c.Span = dur(0), dur(8), dur(16)
	c.MinSegments = int(binary.BigEndian.Uint32(b[24:]))
	const maxDur = time.Hour
	switch {
	case c.PartTarget <= 0 || c.PartTarget > maxDur,
		c.SegmentTarget < c.PartTarget || c.SegmentTarget > maxDur,
		c.Span < c.SegmentTarget || c.Span > 24*maxDur:
		return c, fmt.Errorf("%w: durations part %v segment %v span %v", ErrBadHeader, c.PartTarget, c.SegmentTarget, c.Span)
	case c.MinSegments > 1000:
		return c, fmt.Errorf("%w: %d minimum segments", ErrBadHeader, c.MinSegments)
	}
	return c, nil
}

// appendFrameHeader appends a frame's type and the length of its payload.
func appendFrameHeader(b []byte, t FrameType, n int) []byte {
	b = append(b, byte(t))
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func appendString(b []byte, s string) []byte {
	if len(s) > math.MaxUint8 {
		s = s[:math.MaxUint8]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// appendInitMeta appends an Init frame's payload without the init bytes.
func appendInitMeta(b []byte, in *window.Init) []byte {
	b = binary.AppendUvarint(b, uint64(in.Info.ID))
	b = appendString(b, in.Epoch)
	b = appendString(b, in.Info.Kind)
	b = appendString(b, in.Info.Codec)
	for _, v := range []uint64{uint64(in.Info.Timescale), uint64(in.Info.Width), uint64(in.Info.Height),
		uint64(in.Info.SampleRate), uint64(in.Info.Channels)} {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// chunkFrame is a decoded Chunk frame. Data aliases the Reader's buffer.
type chunkFrame struct {
	track int
	index int
	meta  window.ChunkMeta
	data  []byte
}

// appendChunkMeta appends a Chunk frame's payload without the chunk bytes.
func appendChunkMeta(b []byte, track, index int, m *window.ChunkMeta) []byte {
	b = binary.AppendUvarint(b, uint64(track))
	b = binary.AppendUvarint(b, m.MSN)
	b = binary.AppendUvarint(b, uint64(index))
	b = binary.AppendUvarint(b, uint64(m.Part))
	b = binary.AppendUvarint(b, m.DTS)
	b = binary.AppendUvarint(b, uint64(m.Duration))
	var flags byte
	if m.Independent {
		flags |= flagIndependent
	}
	if m.EndOfPart {
		flags |= flagEndOfPart
	}
	if m.Discontinuity {
		flags |= flagDiscontinuity
	}
	if !m.Wallclock.IsZero() {
		flags |= flagWallclock
	}
	b = append(b, flags)
	if flags&flagWallclock != 0 {
		b = binary.AppendVarint(b, m.Wallclock.UnixNano())
	}
	return b
}

// decoder reads a payload field by field; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadFrame, what)
	}
}

func (d *decoder) uvarint(what string, limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) string(what string) string {
	n := int(d.byte(what))
	if d.err != nil {
		return ""
	}
	if len(d.b) < n {
		d.fail(what)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// end checks that nothing follows the last field.
func (d *decoder) end(what string) {
	if d.err == nil && len(d.b) != 0 {
		d.fail(what + ": trailing bytes")
	}
}

func parseInit(p []byte) (*window.Init, error) {
	d := decoder{b: p}
	id := int(d.uvarint("init track", MaxTrackID))
	in := &window.Init{Epoch: d.string("init epoch")}
	in.Info.ID = id
	in.Info.Kind = d.string("init kind")
	in.Info.Codec = d.string("init codec")
	in.Info.Timescale = uint32(d.uvarint("init timescale", math.MaxUint32))
	in.Info.Width = int(d.uvarint("init width", maxDim))
	in.Info.Height = int(d.uvarint("init height", maxDim))
	in.Info.SampleRate = int(d.uvarint("init sample rate", maxDim))
	in.Info.Channels = int(d.uvarint("init channels", maxDim))
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case id == 0:
		return nil, fmt.Errorf("%w: init of track 0", ErrBadFrame)
	case in.Epoch == "":
		return nil, fmt.Errorf("%w: init without epoch", ErrBadFrame)
	case in.Info.Timescale == 0:
		return nil, fmt.Errorf("%w: init with timescale 0", ErrBadFrame)
	}
	// The init bytes are kept for the stream's life, so they get their own
	// memory rather than aliasing the Reader's buffer.
	in.Data = append([]byte(nil), d.b...)
	return in, nil
}

func parseChunk(p []byte) (chunkFrame, error) {
	d := decoder{b: p}
	var c chunkFrame
	c.track = int(d.uvarint("chunk track", MaxTrackID))
	c.meta.MSN = d.uvarint("chunk msn", maxMSN)
	c.index = int(d.uvarint("chunk index", maxIndex))
	c.meta.Part = int(d.uvarint("chunk part", maxPart))
	c.meta.DTS = d.uvarint("chunk dts", math.MaxUint64)
	c.meta.Duration = uint32(d.uvarint("chunk duration", math.MaxUint32))
	flags := d.byte("chunk flags")
	if flags&^flagsKnown != 0 {
		d.fail("chunk flags")
	}
	if flags&flagWallclock != 0 {
		c.meta.Wallclock = time.Unix(0, d.varint("chunk wall clock"))
	}
	if d.err != nil {
		return c, d.err
	}
	if c.track == 0 {
		return c, fmt.Errorf("%w: chunk of track 0", ErrBadFrame)
	}
	c.meta.Independent = flags&flagIndependent != 0
	c.meta.EndOfPart = flags&flagEndOfPart != 0
	c.meta.Discontinuity = flags&flagDiscontinuity != 0
	c.data = d.b
	return c, nil
}

func appendSegmentEnd(b []byte, track int, msn uint64) []byte {
	b = binary.AppendUvarint(b, uint64(track))
	return binary.AppendUvarint(b, msn)
}

func parseSegmentEnd(p []byte) (track int, msn uint64, err error) {
	d := decoder{b: p}
	track = int(d.uvarint("segment-end track", MaxTrackID))
	msn = d.uvarint("segment-end msn", maxMSN)
	d.end("segment-end")
	if d.err == nil && track == 0 {
		d.fail("segment-end of track 0")
	}
	return track, msn, d.err
}
