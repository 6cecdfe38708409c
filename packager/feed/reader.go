package feed

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/livetree/livetree/packager/window"
)

// Reader decodes a feed and applies it to a local window.
type Reader struct {
	br      *bufio.Reader
	buf     []byte // payload of the frame being read; reused
	header  bool   // the header was read
	cfg     window.Config
	tracks  map[int]*held
	onFrame func(FrameType)
}

// held is what the local window holds of one track, kept in step with it
// because the Reader is the window's only writer.
type held struct {
	have     bool   // any segment
	msn      uint64 // newest segment
	count    int    // its chunks
	complete bool
	epoch    string // the publish the newest segment belongs to
	// feedEpoch is the publish of the last init segment the feed sent: the
	// chunks that follow belong to it.
	feedEpoch string
	// pending is an init segment received but not installed yet: it is
	// installed with the first chunk applied after it, so an init resent
	// for segments the window already holds changes nothing.
	pending *window.Init
}

// NewReader returns a Reader of the feed in r.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{br: br}
}

// OnFrame sets a function called with the type of every frame read, before
// it is applied; for counters and liveness.
func (r *Reader) OnFrame(f func(FrameType)) { r.onFrame = f }

// Header reads the feed header and returns the parent's window
// configuration. Apply calls it if it was not called.
func (r *Reader) Header() (window.Config, error) {
	if r.header {
		return r.cfg, nil
	}
	var b [headerSize]byte
	if _, err := io.ReadFull(r.br, b[:]); err != nil {
		return r.cfg, fmt.Errorf("%w: header: %w", ErrTruncated, err)
	}
	cfg, err := parseHeader(b[:])
	if err != nil {
		return cfg, err
	}
	r.cfg, r.header = cfg, true
	return cfg, nil
}

// ResumeFrom returns the position from which a feed continues the local
// window st: its oldest newest-segment over all tracks, so no track misses
// a chunk. A window without segments starts at the parent's beginning.
func ResumeFrom(st *window.Stream) Position {
	var p Position
	for _, tr := range st.Tracks() {
		seg, ok := tr.Last()
		if !ok {
			continue
		}
		if !p.Valid || seg.MSN < p.MSN {
			p = Position{MSN: seg.MSN, Valid: true}
		}
	}
	return p
}

// Apply reads frames and applies them to st until the End frame (it ends
// st and returns nil) or an error. A frame is applied only once it has been
// read whole. Chunks st already holds are skipped.
func (r *Reader) Apply(st *window.Stream) error {
	if _, err := r.Header(); err != nil {
		return err
	}
	r.tracks = make(map[int]*held)
	for _, tr := range st.Tracks() {
		h := &held{}
		if seg, ok := tr.Last(); ok {
			h.have, h.msn, h.count, h.complete = true, seg.MSN, len(seg.Chunks(0)), seg.Complete()
			h.epoch = seg.Init.Epoch
		}
		r.tracks[tr.ID()] = h
	}
	for {
		t, p, err := r.next()
		if err != nil {
			return err
		}
		if r.onFrame != nil {
			r.onFrame(t)
		}
		switch t {
		case FrameInit:
			err = r.applyInit(st, p)
		case FrameChunk:
			err = r.applyChunk(st, p)
		case FrameSegmentEnd:
			err = r.applySegmentEnd(st, p)
		case FrameEnd:
			if len(p) != 0 {
				return fmt.Errorf("%w: end with payload", ErrBadFrame)
			}
			st.End()
			return nil
		case FrameHeartbeat, FrameLive:
			if len(p) != 0 {
				return fmt.Errorf("%w: %s with payload", ErrBadFrame, t)
			}
		}
		if err != nil {
			return err
		}
	}
}

// next reads one whole frame. The payload is valid until the next call.
func (r *Reader) next() (FrameType, []byte, error) {
	var h [frameHeaderSize]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("%w: no end frame", ErrTruncated)
		}
		return 0, nil, fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	t := FrameType(h[0])
	if t < FrameInit || t > FrameLive {
		return 0, nil, fmt.Errorf("%w: unknown type %d", ErrBadFrame, h[0])
	}
	n := int(binary.BigEndian.Uint32(h[1:]))
	if n > MaxFrameSize {
		return 0, nil, fmt.Errorf("%w: %s of %d bytes", ErrBadFrame, t, n)
	}
	// Grow the buffer as bytes arrive rather than trusting the length, so
	// a lying header costs no more memory than the bytes actually sent.
	r.buf = r.buf[:0]
	for len(r.buf) < n {
		step := min(n-len(r.buf), 1<<20)
		if cap(r.buf)-len(r.buf) < step {
			nb := make([]byte, len(r.buf), len(r.buf)+max(step, cap(r.buf)))
			copy(nb, r.buf)
			r.buf = nb
		}
		m, err := io.ReadFull(r.br, r.buf[len(r.buf):len(r.buf)+step])
		r.buf = r.buf[:len(r.buf)+m]
		if err != nil {
			return 0, nil, fmt.Errorf("%w: inside %s: %w", ErrTruncated, t, err)
		}
	}
	return t, r.buf, nil
}

func (r *Reader) state(id int) *held {
	h := r.tracks[id]
	if h == nil {
		h = &held{}
		r.tracks[id] = h
	}
	return h
}

func (r *Reader) applyInit(st *window.Stream, p []byte) error {
	in, err := parseInit(p)
	if err != nil {
		return err
	}
	h := r.state(in.Info.ID)
	h.feedEpoch = in.Epoch
	if tr, ok := st.Track(in.Info.ID, false); ok && tr.InitByEpoch(in.Epoch) != nil {
		h.pending = nil
		return nil
	}
	h.pending = in
	return nil
}

func (r *Reader) applyChunk(st *window.Stream, p []byte) error {
	c, err := parseChunk(p)
	if err != nil {
		return err
	}
	h := r.state(c.track)
	switch {
	case !h.have || c.meta.MSN == h.msn+1:
		if c.index != 0 {
			return fmt.Errorf("%w: track %d segment %d starts at chunk %d", ErrGap, c.track, c.meta.MSN, c.index)
		}
	case c.meta.MSN < h.msn, c.meta.MSN == h.msn && c.index < h.count:
		if !r.sameMedia(st, c.track, h, c.meta.MSN) {
			return fmt.Errorf("%w: track %d segment %d of publish %q is not the one held", ErrGap, c.track, c.meta.MSN, h.feedEpoch)
		}
		h.pending = nil // an init resent for media the window holds
		return nil
	case c.meta.MSN == h.msn && c.index == h.count && !h.complete:
		if !r.sameMedia(st, c.track, h, c.meta.MSN) {
			return fmt.Errorf("%w: track %d segment %d of publish %q is not the one held", ErrGap, c.track, c.meta.MSN, h.feedEpoch)
		}
	default:
		return fmt.Errorf("%w: track %d chunk %d.%d after %d.%d (complete %v)",
			ErrGap, c.track, c.meta.MSN, c.index, h.msn, h.count, h.complete)
	}
	tr, _ := st.Track(c.track, true)
	if h.pending != nil {
		tr.SetInit(h.pending)
		h.pending = nil
	}
	if c.index == 0 && c.track == r.lead(st) {
		// The packager evicts as the lead track (video, if any) starts a
		// segment, before its first chunk; doing the same keeps the child's
		// window as close to the parent's as timing allows.
		st.Evict()
	}
	if err := tr.Append(c.meta, c.data); err != nil {
		return err
	}
	if c.index == 0 {
		h.have, h.msn, h.count, h.complete = true, c.meta.MSN, 0, false
		if in := tr.Init(); in != nil {
			h.epoch = in.Epoch
		}
	}
	h.count++
	return nil
}

// sameMedia reports whether a chunk of segment msn, which the window holds
// or continues, comes from the publish the window has it from. A parent
// whose stream started over (an origin restarted) numbers segments anew,
// and its chunks must not be spliced into the old ones.
func (r *Reader) sameMedia(st *window.Stream, track int, h *held, msn uint64) bool {
	if msn == h.msn {
		return h.feedEpoch == h.epoch
	}
	tr, ok := st.Track(track, false)
	return ok && h.feedEpoch != "" && tr.InitByEpoch(h.feedEpoch) != nil
}

// lead returns the lowest track ID st has.
func (r *Reader) lead(st *window.Stream) int {
	if tracks := st.Tracks(); len(tracks) > 0 {
		return tracks[0].ID()
	}
	return 0
}

func (r *Reader) applySegmentEnd(st *window.Stream, p []byte) error {
	id, msn, err := parseSegmentEnd(p)
	if err != nil {
		return err
	}
	h := r.state(id)
	if !h.have || msn != h.msn || h.complete {
		return nil // a segment already complete, or never held
	}
	tr, ok := st.Track(id, false)
	if !ok {
		return nil
	}
	tr.EndSegment()
	h.complete = true
	return nil
}
