package window

import (
	"fmt"
	"sync"
	"time"
)

// ChunkMeta describes a chunk as its writer appends it. The packager sets it
// at the origin; an edge receives it over the feed and appends the same.
type ChunkMeta struct {
	MSN      uint64 // media sequence number of the segment
	Part     int    // index of the part within the segment
	DTS      uint64 // decode time of the first sample, in the track's timescale
	Duration uint32 // sum of the samples' durations, in the track's timescale
	// Wallclock is the ingest time of the chunk's first sample (at its
	// decode time), the same instant the chunk's prft box carries. The
	// packager maps it from media time the same way for every track, so
	// tracks agree on the wall-clock time of a media time.
	Wallclock   time.Time
	Independent bool // the first sample is a sync sample
	EndOfPart   bool // this chunk completes its part
	// Discontinuity marks, on a segment's first chunk, that the segment does
	// not continue the previous one's timeline or encoding.
	Discontinuity bool
}

// Chunk is one moof+mdat of a segment.
type Chunk struct {
	ChunkMeta
	Offset int // into the segment's bytes
	Size   int
}

// Part is a partial segment: a byte range of its segment made of whole chunks.
type Part struct {
	Index       int
	Offset      int
	Size        int
	Duration    uint64 // in the track's timescale
	Independent bool
	Complete    bool
}

// Segment is a media segment: its parts' bytes, concatenated.
type Segment struct {
	MSN           uint64
	Init          *Init
	Discontinuity bool
	DTS           uint64    // decode time of the first sample
	Wallclock     time.Time // ingest time of the first sample

	mu *sync.RWMutex // the track's; guards the fields below
	// data only grows: bytes before len(data) never change once written, so
	// a reader may keep a slice of it without holding mu. Once the segment
	// is complete and no longer the newest, data is dropped when the spool
	// holds the same bytes, which are then read from there.
	data     []byte
	size     int
	spool    *spool // the track's file of bytes, or nil
	base     int64  // offset of the segment's first byte in spool
	chunks   []Chunk
	parts    []Part
	dur      uint64
	complete bool
}

func newSegment(m ChunkMeta, in *Init, sizeHint int, mu *sync.RWMutex, sp *spool) *Segment {
	if sizeHint <= 0 {
		sizeHint = 64 << 10
	}
	s := &Segment{
		MSN:           m.MSN,
		Init:          in,
		Discontinuity: m.Discontinuity,
		DTS:           m.DTS,
		Wallclock:     m.Wallclock,
		mu:            mu,
		data:          make([]byte, 0, sizeHint+sizeHint/8),
		spool:         sp,
	}
	if sp != nil {
		s.base = sp.end
	}
	return s
}

// append adds a chunk; staged tells whether its bytes were staged in the
// track's file (spool.stage) for the segment to count in.
func (s *Segment) append(m ChunkMeta, data []byte, staged bool) error {
	if s.complete {
		return fmt.Errorf("%w: segment %d is complete", ErrOutOfOrder, s.MSN)
	}
	n := len(s.parts)
	switch {
	case m.Part == n:
		if n > 0 {
			s.parts[n-1].Complete = true
		}
		s.parts = append(s.parts, Part{Index: m.Part, Offset: s.size, Independent: m.Independent})
	case n > 0 && m.Part == n-1 && !s.parts[n-1].Complete:
	default:
		return fmt.Errorf("%w: segment %d part %d after %d", ErrOutOfOrder, s.MSN, m.Part, n-1)
	}
	s.chunks = append(s.chunks, Chunk{ChunkMeta: m, Offset: s.size, Size: len(data)})
	s.data = append(s.data, data...)
	s.size += len(data)
	s.spoolCommit(data, staged)
	p := &s.parts[len(s.parts)-1]
	p.Size += len(data)
	p.Duration += uint64(m.Duration)
	p.Complete = m.EndOfPart
	s.dur += uint64(m.Duration)
	return nil
}

// finish marks the segment complete and gives back unused buffer space.
func (s *Segment) finish() {
	s.complete = true
	if n := len(s.parts); n > 0 {
		s.parts[n-1].Complete = true
	}
	if s.spool == nil && cap(s.data)-len(s.data) > len(s.data)/16 {
		s.data = append(make([]byte, 0, len(s.data)), s.data...)
	}
}

// spoolCommit counts data, just appended and staged in the track's file,
// in the file. If staging failed the segment keeps its bytes in memory
// only.
func (s *Segment) spoolCommit(data []byte, staged bool) {
	if s.spool == nil {
		return
	}
	if !staged || s.spool.end != s.base+int64(s.size-len(data)) {
		s.spool = nil // this write, or one for an earlier segment, failed
		return
	}
	s.spool.end += int64(len(data))
}

// dropData lets go of the in-memory copy of a complete segment whose bytes
// the spool holds. It returns the bytes of memory freed.
func (s *Segment) dropData() int {
	if !s.complete || s.spool == nil || s.data == nil {
		return 0
	}
	n := cap(s.data)
	s.data = nil
	return n
}

// ram returns the memory the segment's own buffer holds.
func (s *Segment) ram() int { return cap(s.data) }

// Size returns the bytes appended so far.
func (s *Segment) Size() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.size
}

func (s *Segment) durationLocked() time.Duration {
	return ticks(s.dur, s.Init.Info.Timescale)
}

// Bytes returns the segment's bytes from offset from on, and whether the
// segment is complete (no byte will follow). The slice never changes. For
// a segment that has left the window it may be short or empty.
func (s *Segment) Bytes(from int) ([]byte, bool) {
	s.mu.RLock()
	data, sp, size, complete := s.data, s.spool, s.size, s.complete
	s.mu.RUnlock()
	from = min(max(from, 0), size)
	if data != nil {
		return data[from:size:size], complete
	}
	if from == size {
		return nil, complete
	}
	// Read outside the lock: the bytes of a complete segment never change.
	b, err := sp.readAt(s.base+int64(from), size-from)
	if err != nil {
		return nil, complete
	}
	return b, complete
}

// BytesInMemory returns the segment's bytes from offset from on when it
// still holds them in memory (it is open, or the newest complete one).
func (s *Segment) BytesInMemory(from int) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.data == nil && s.size > 0 {
		return nil, false
	}
	from = min(max(from, 0), s.size)
	return s.data[from:s.size:s.size], true
}

// WithFile calls send with a file descriptor holding the segment's bytes
// and the file offset of the segment's byte from, for a zero-copy send.
// The bytes stay in place until send returns, so send must not block. It
// returns ErrNoFile when there is no file (send Bytes instead), and
// ErrGone once the segment has left the window.
func (s *Segment) WithFile(from int, send func(fd int, off int64) error) error {
	s.mu.RLock()
	sp, size := s.spool, s.size
	s.mu.RUnlock()
	if sp == nil {
		return ErrNoFile
	}
	if from < 0 || from > size {
		return fmt.Errorf("window: byte %d of a %d-byte segment", from, size)
	}
	off := s.base + int64(from)
	return sp.use(off, func(fd int) error { return send(fd, off) })
}

// Complete reports whether the segment has all its bytes.
func (s *Segment) Complete() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.complete
}

// Duration returns the duration of the media appended so far.
func (s *Segment) Duration() time.Duration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.durationLocked()
}

// Ticks returns the duration appended so far in the track's timescale.
func (s *Segment) Ticks() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dur
}

// Part returns part i as it stands now.
func (s *Segment) Part(i int) (Part, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i < 0 || i >= len(s.parts) {
		return Part{}, false
	}
	return s.parts[i], true
}

// Parts returns a copy of the segment's parts as they stand now.
func (s *Segment) Parts() []Part {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Part(nil), s.parts...)
}

// Chunks returns the chunks from index from on, for replaying the segment
// chunk by chunk.
func (s *Segment) Chunks(from int) []Chunk {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if from >= len(s.chunks) {
		return nil
	}
	return append([]Chunk(nil), s.chunks[from:]...)
}

func ticks(n uint64, timescale uint32) time.Duration {
	if timescale == 0 {
		return 0
	}
	sec := n / uint64(timescale)
	rem := n % uint64(timescale)
	return time.Duration(sec)*time.Second + time.Duration(rem)*time.Second/time.Duration(timescale)
}
