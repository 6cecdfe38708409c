package window

import (
	"fmt"
	"sync"
	"time"
)

// TrackInfo describes a CMAF track. It changes only when a new publish
// brings a new init segment.
type TrackInfo struct {
	ID         int    // 1 for video, 2 for audio; stable for the stream's life
	Kind       string // "video" or "audio"
	Codec      string // RFC 6381 codecs parameter, e.g. avc1.64001f
	Timescale  uint32
	Width      int // video only
	Height     int // video only
	SampleRate int // audio only
	Channels   int // audio only
}

// Init is a track's initialization segment (ftyp+moov) for one publish.
type Init struct {
	// Epoch names the publish that produced it. Object names carry it, so a
	// restarted stream never reuses a URL a cache may still hold.
	Epoch string
	Info  TrackInfo
	Data  []byte
}

// Track is one CMAF track's window of segments.
type Track struct {
	stream *Stream
	id     int

	cmu     sync.Mutex // guards changed
	changed chan struct{}

	mu sync.RWMutex // guards everything below
	// inits holds every init segment still referenced by a segment in the
	// window, oldest first; the last one is current.
	inits    []*Init
	segments []*Segment // contiguous MSNs, oldest first
	lastSize int        // bytes of the last completed segment, to size the next buffer
	maxDur   time.Duration
	bytes    int64  // sum of segment buffer capacities
	spool    *spool // the segments' bytes for zero-copy sends, or nil
}

// Changed returns a channel closed at the next change to the track, or to
// the stream as a whole (its end). Take it before reading the state it
// guards, then wait on it, and no change is missed. A reader of one track
// waits here rather than on the stream, so that the chunks of the other
// tracks do not wake it.
func (t *Track) Changed() <-chan struct{} {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	return t.changed
}

// notify wakes the track's readers and then the stream's.
func (t *Track) notify() {
	t.wake()
	t.stream.notify()
}

func (t *Track) wake() {
	t.cmu.Lock()
	close(t.changed)
	t.changed = make(chan struct{})
	t.cmu.Unlock()
}

// ID returns the track's ID.
func (t *Track) ID() int { return t.id }

// Init returns the current init segment, or nil before the first publish.
func (t *Track) Init() *Init {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if len(t.inits) == 0 {
		return nil
	}
	return t.inits[len(t.inits)-1]
}

// InitByEpoch returns the init segment of a given publish while any of its
// segments remain in the window.
func (t *Track) InitByEpoch(epoch string) *Init {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := len(t.inits) - 1; i >= 0; i-- {
		if t.inits[i].Epoch == epoch {
			return t.inits[i]
		}
	}
	return nil
}

// SetInit installs the init segment of a new publish. Later segments belong
// to it.
func (t *Track) SetInit(in *Init) {
	t.mu.Lock()
	t.inits = append(t.inits, in)
	t.mu.Unlock()
	t.notify()
}

// Segment returns the segment with the given media sequence number.
func (t *Track) Segment(msn uint64) (*Segment, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.segmentLocked(msn)
}

func (t *Track) segmentLocked(msn uint64) (*Segment, bool) {
	if len(t.segments) == 0 {
		return nil, false
	}
	first := t.segments[0].MSN
	if msn < first || msn-first >= uint64(len(t.segments)) {
		return nil, false
	}
	return t.segments[msn-first], true
}

// Segments returns the segments in the window, oldest first. The slice is
// the caller's; the segments are shared.
func (t *Track) Segments() []*Segment {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*Segment, len(t.segments))
	copy(out, t.segments)
	return out
}

// Last returns the newest segment, complete or not.
func (t *Track) Last() (*Segment, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if len(t.segments) == 0 {
		return nil, false
	}
	return t.segments[len(t.segments)-1], true
}

// MaxSegmentDuration returns the longest complete segment seen so far.
func (t *Track) MaxSegmentDuration() time.Duration {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.maxDur
}

// Bytes returns the RAM the track's segments hold.
func (t *Track) Bytes() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.spool != nil {
		return t.bytes + t.spool.held()
	}
	return t.bytes
}

// close lets go of the track's file; its segments' bytes are gone.
func (t *Track) close() {
	if t.spool != nil {
		t.spool.close()
	}
}

// Append adds a chunk to the track. A chunk whose MSN is past the current
// segment's starts a new segment and completes the previous one; a chunk
// whose part index is past the current part's completes that part.
func (t *Track) Append(m ChunkMeta, data []byte) error {
	if err := t.append(m, data); err != nil {
		return err
	}
	t.notify()
	return nil
}

func (t *Track) append(m ChunkMeta, data []byte) error {
	// The copy to the file is made before the lock, which readers of the
	// track wait for: the lock then covers bookkeeping only.
	staged := t.spool != nil && t.spool.stage(data) == nil
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.inits) == 0 {
		return ErrNoInit
	}
	var cur *Segment
	if n := len(t.segments); n > 0 {
		cur = t.segments[n-1]
	}
	if cur == nil || m.MSN != cur.MSN {
		if cur != nil && m.MSN != cur.MSN+1 {
			return fmt.Errorf("%w: segment %d after %d", ErrOutOfOrder, m.MSN, cur.MSN)
		}
		if m.Part != 0 {
			return fmt.Errorf("%w: segment %d starts at part %d", ErrOutOfOrder, m.MSN, m.Part)
		}
		if cur != nil {
			t.completeLocked(cur)
		}
		cur = newSegment(m, t.inits[len(t.inits)-1], t.lastSize, &t.mu, t.spool)
		t.segments = append(t.segments, cur)
		t.bytes += int64(cur.ram())
	}
	before := cur.ram()
	if err := cur.append(m, data, staged); err != nil {
		return err
	}
	t.bytes += int64(cur.ram() - before)
	return nil
}

// EndSegment completes the newest segment, for example when the publisher
// leaves. A later chunk must start a new segment.
func (t *Track) EndSegment() {
	t.mu.Lock()
	if n := len(t.segments); n > 0 {
		t.completeLocked(t.segments[n-1])
	}
	t.mu.Unlock()
	t.notify()
}

func (t *Track) completeLocked(s *Segment) {
	if s.complete {
		return
	}
	before := s.ram()
	s.finish()
	t.bytes += int64(s.ram() - before)
	t.lastSize = s.size
	if d := s.durationLocked(); d > t.maxDur {
		t.maxDur = d
	}
	// The newest complete segment keeps its memory copy for readers that
	// want slices of it (bit rate and frame rate measures, a child edge's
	// feed); older ones are read from the spool.
	for i := len(t.segments) - 1; i >= 0; i-- {
		if o := t.segments[i]; o != s && o.complete {
			t.bytes -= int64(o.dropData())
		}
	}
}

// evict drops the oldest segments beyond the window's span, keeping at least
// keep segments, and init segments no segment refers to any more.
func (t *Track) evict(span time.Duration, keep int) {
	// The file's front is released after the lock: releasing waits for
	// reads of the file under way, and readers of the track need not wait
	// with it.
	if floor := t.cut(span, keep); floor > 0 && t.spool != nil {
		t.spool.release(floor)
	}
}

// cut drops the segments evict drops and returns where the file's bytes
// still in use begin, or 0 when none was dropped.
func (t *Track) cut(span time.Duration, keep int) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var total time.Duration
	cut := 0
	for i := len(t.segments) - 1; i >= 0; i-- {
		total += t.segments[i].durationLocked()
		if total > span && len(t.segments)-i > keep {
			cut = i
			break
		}
	}
	if cut == 0 {
		return 0
	}
	for _, s := range t.segments[:cut] {
		t.bytes -= int64(s.ram())
	}
	t.segments = append(t.segments[:0:0], t.segments[cut:]...)
	oldest := t.segments[0].Init
	for len(t.inits) > 1 && t.inits[0] != oldest {
		t.inits = t.inits[1:]
	}
	return t.segments[0].base
}
