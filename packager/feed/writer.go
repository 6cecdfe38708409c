package feed

import (
	"bufio"
	"context"
	"io"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// DefaultHeartbeat is how long a Writer stays silent before it sends a
// Heartbeat. It is half the default part target, so a child whose stall
// timeout is one part notices a dead parent without mistaking a quiet one.
const DefaultHeartbeat = 100 * time.Millisecond

// Position is where a child asks a feed to start.
type Position struct {
	// MSN is the first segment the child wants, on every track. The Writer
	// sends segments whole, so a child resuming inside segment MSN gets it
	// again from its first chunk and its Reader skips what it holds.
	MSN uint64
	// Valid is false to start at the beginning of the parent's window.
	Valid bool
}

// WriterOptions tune a Writer.
type WriterOptions struct {
	// From is the resume position.
	From Position
	// Heartbeat is the longest silence; DefaultHeartbeat when zero.
	Heartbeat time.Duration
}

// Writer sends one stream's window as a feed.
type Writer struct {
	st   *window.Stream
	opts WriterOptions
	bw   *bufio.Writer
	// flush pushes buffered bytes through to the peer when the destination
	// buffers too (a fasthttp body stream writer, a net/http ResponseWriter).
	flush func() error

	scratch []byte
	hdr     [frameHeaderSize]byte // a frame's header; a field so it is not allocated per frame
	cursors map[int]*cursor
	wrote   bool // something was written since the last flush
}

// cursor is how far a Writer has sent one track.
type cursor struct {
	msn   uint64       // segment being sent
	index int          // next chunk of that segment
	init  *window.Init // last init segment sent
	begun bool         // msn has been set from the window or the position
}

type flusher interface{ Flush() error }

type httpFlusher interface{ Flush() }

// NewWriter returns a Writer of st to w. If w can flush (a *bufio.Writer or
// an http.Flusher), it is flushed after every batch.
func NewWriter(w io.Writer, st *window.Stream, opts WriterOptions) *Writer {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	fw := &Writer{st: st, opts: opts, cursors: make(map[int]*cursor)}
	switch f := w.(type) {
	case flusher:
		fw.flush = f.Flush
	case httpFlusher:
		fw.flush = func() error { f.Flush(); return nil }
	}
	fw.bw = bufio.NewWriterSize(w, 64<<10)
	return fw
}

// Run writes the header, the catch-up and then every change to the window
// until the stream ends (it writes End and returns nil), ctx is done, or a
// write fails.
func (w *Writer) Run(ctx context.Context) error {
	w.scratch = appendHeader(w.scratch[:0], w.st.Config())
	if _, err := w.bw.Write(w.scratch); err != nil {
		return err
	}
	w.wrote = true
	idle := time.NewTimer(w.opts.Heartbeat)
	defer idle.Stop()
	for first := true; ; first = false {
		// Take the channel before reading the window, so that a change
		// made while this pass runs wakes the next wait.
		changed := w.st.Changed()
		ended := w.st.Ended()
		if err := w.pass(); err != nil {
			return err
		}
		if first {
			if err := w.frame(FrameLive, nil, nil); err != nil {
				return err
			}
		}
		if ended {
			if err := w.frame(FrameEnd, nil, nil); err != nil {
				return err
			}
			return w.push()
		}
		if w.wrote {
			if err := w.push(); err != nil {
				return err
			}
			idle.Reset(w.opts.Heartbeat)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-idle.C:
			if err := w.frame(FrameHeartbeat, nil, nil); err != nil {
				return err
			}
		}
	}
}

// push flushes buffered frames to the peer.
func (w *Writer) push() error {
	w.wrote = false
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.flush != nil {
		return w.flush()
	}
	return nil
}

// frame writes one frame whose payload is meta followed by data.
func (w *Writer) frame(t FrameType, meta, data []byte) error {
	appendFrameHeader(w.hdr[:0], t, len(meta)+len(data))
	w.wrote = true
	if _, err := w.bw.Write(w.hdr[:]); err != nil {
		return err
	}
	if _, err := w.bw.Write(meta); err != nil {
		return err
	}
	_, err := w.bw.Write(data)
	return err
}

// pass sends everything the window holds past the cursors. It goes round
// the tracks one segment at a time, so that a catch-up interleaves video
// and audio as the live stream does: a feed cut anywhere leaves the child's
// tracks at most a segment apart, and ResumeFrom loses nothing.
func (w *Writer) pass() error {
	tracks := w.st.Tracks()
	for progress := true; progress; {
		progress = false
		for _, tr := range tracks {
			c := w.cursors[tr.ID()]
			if c == nil {
				c = &cursor{}
				w.cursors[tr.ID()] = c
			}
			p, err := w.segment(tr, c)
			if err != nil {
				return err
			}
			progress = progress || p
		}
	}
	// Every track is sent up to its newest bytes. A new publish installs
	// its init segment before its first chunk; forward it now, unless the
	// previous publish's last segment is still open, so the child's window
	// matches even before the chunk arrives.
	for _, tr := range tracks {
		c := w.cursors[tr.ID()]
		in := tr.Init()
		if in == nil || in == c.init {
			continue
		}
		if last, ok := tr.Last(); ok && !last.Complete() {
			continue
		}
		if err := w.init(in); err != nil {
			return err
		}
		c.init = in
	}
	return nil
}

// segment sends what is new of the segment under c and moves c past it if
// it is complete. It reports whether it wrote anything.
func (w *Writer) segment(tr *window.Track, c *cursor) (bool, error) {
	if !c.begun {
		if w.opts.From.Valid {
			c.msn, c.begun = w.opts.From.MSN, true
		} else if segs := tr.Segments(); len(segs) > 0 {
			c.msn, c.begun = segs[0].MSN, true
		} else {
			return false, nil
		}
	}
	seg, ok := tr.Segment(c.msn)
	if !ok {
		// Segments the cursor has not reached were evicted: the peer is too
		// slow or asked for too old a position. Jump to the oldest segment;
		// the peer's Reader reports the gap.
		segs := tr.Segments()
		if len(segs) == 0 || c.msn >= segs[0].MSN {
			return false, nil
		}
		c.msn, c.index = segs[0].MSN, 0
		if seg, ok = tr.Segment(c.msn); !ok {
			return false, nil
		}
	}
	if seg.Init != c.init {
		if err := w.init(seg.Init); err != nil {
			return false, err
		}
		c.init = seg.Init
	}
	// Read the bytes, and whether they are all, before the chunk list: a
	// chunk appended in between is then past the bytes and waits for the
	// next pass.
	data, complete := seg.Bytes(0)
	wrote := false
	for _, ch := range seg.Chunks(c.index) {
		if ch.Offset+ch.Size > len(data) {
			complete = false
			break
		}
		w.scratch = appendChunkMeta(w.scratch[:0], tr.ID(), c.index, &ch.ChunkMeta)
		if err := w.frame(FrameChunk, w.scratch, data[ch.Offset:ch.Offset+ch.Size]); err != nil {
			return wrote, err
		}
		c.index++
		wrote = true
	}
	if !complete {
		return wrote, nil
	}
	w.scratch = appendSegmentEnd(w.scratch[:0], tr.ID(), c.msn)
	if err := w.frame(FrameSegmentEnd, w.scratch, nil); err != nil {
		return wrote, err
	}
	c.msn, c.index = c.msn+1, 0
	return true, nil
}

func (w *Writer) init(in *window.Init) error {
	w.scratch = appendInitMeta(w.scratch[:0], in)
	return w.frame(FrameInit, w.scratch, in.Data)
}
