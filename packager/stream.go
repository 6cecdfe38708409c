package packager

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// Stream is one stream's packager. It outlives its publishers: a publisher
// that reconnects continues the same window, with numbers that never go back.
type Stream struct {
	cfg Config
	win *window.Stream

	mu       sync.Mutex // guards everything below; held while a frame is written
	active   *Session
	ended    bool
	video    *trackMuxer
	audio    *trackMuxer
	nextMSN  uint64
	mediaEnd time.Duration // end of the media written so far, on the stream's timeline
}

// NewStream returns a stream with an empty window.
func NewStream(name string, cfg Config) *Stream {
	return &Stream{
		cfg: cfg,
		win: window.NewStream(name, window.Config{
			Span:          cfg.Window,
			SegmentTarget: cfg.SegmentTarget,
			PartTarget:    cfg.PartTarget,
		}),
	}
}

// Window returns the RAM window the stream writes to.
func (s *Stream) Window() *window.Stream { return s.win }

// Publish starts a publish session with the given tracks.
func (s *Stream) Publish(t Tracks) (*Session, error) {
	if t.Video == nil && t.Audio == nil {
		return nil, fmt.Errorf("%w: no tracks", ErrBadConfig)
	}
	epoch := newEpoch()
	var vInit, aInit *window.Init
	var err error
	frameLen := uint32(1024)
	if t.Video != nil {
		if vInit, err = videoInit(t.Video, epoch); err != nil {
			return nil, err
		}
	}
	if t.Audio != nil {
		in, cfg, err := audioInit(t.Audio, epoch)
		if err != nil {
			return nil, err
		}
		aInit = in
		if len(t.Audio.ASC) >= 2 && t.Audio.ASC[1]&0x04 != 0 && cfg.ObjectType == 2 {
			frameLen = 960 // frameLengthFlag in GASpecificConfig
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ended:
		return nil, ErrClosed
	case s.active != nil:
		return nil, ErrPublishing
	}
	sess := &Session{s: s, epoch: epoch, offset: s.mediaEnd, frameLen: frameLen}
	if vInit != nil {
		s.video = s.prepare(s.video, Video, vInit)
		sess.video = s.video
	}
	if aInit != nil {
		s.audio = s.prepare(s.audio, Audio, aInit)
		sess.audio = s.audio
	}
	s.active = sess
	return sess, nil
}

func (s *Stream) prepare(m *trackMuxer, kind Kind, in *window.Init) *trackMuxer {
	tr, _ := s.win.Track(in.Info.ID, true)
	tr.SetInit(in)
	if m == nil {
		return newTrackMuxer(kind, tr, in.Info.Timescale, s.cfg)
	}
	m.restart(in.Info.Timescale, s.cfg)
	return m
}

// End closes the stream for good: playlists end and readers stop waiting.
func (s *Stream) End() {
	s.mu.Lock()
	sess := s.active
	s.mu.Unlock()
	if sess != nil {
		sess.Close()
	}
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.win.End()
}

func (s *Stream) takeMSN() uint64 {
	n := s.nextMSN
	s.nextMSN++
	return n
}

func newEpoch() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// Session is one publisher's connection to a stream. WriteFrame must be
// called from one goroutine at a time.
type Session struct {
	s        *Stream
	epoch    string
	video    *trackMuxer // nil without a video track
	audio    *trackMuxer // nil without an audio track
	frameLen uint32      // AAC samples per frame

	// The fields below are guarded by s.mu.
	closed  bool
	based   bool
	base    time.Duration // publisher DTS that maps to offset
	offset  time.Duration // where this session starts on the stream's timeline
	cuts    []cut         // video segment starts that audio has yet to follow
	scratch []byte        // AVCC payload of the frame being written
	clock   wallClock     // maps stream time to ingest wall-clock time
}

// cut is where a video segment starts, for the audio track to follow.
type cut struct {
	msn  uint64
	at   time.Duration
	disc bool // the video segment starts a discontinuity; audio's must too
}

// Epoch returns the id of this publish, which names its objects.
func (ss *Session) Epoch() string { return ss.epoch }

// WriteFrame packages one access unit.
func (ss *Session) WriteFrame(f Frame) error {
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.closed {
		return ErrClosed
	}
	if !ss.based {
		ss.base, ss.based = f.DTS, true
	}
	at := f.DTS - ss.base + ss.offset
	if at < 0 {
		return nil // before the session's first frame; nothing to align it with
	}
	switch f.Kind {
	case Video:
		return ss.writeVideo(f, at)
	case Audio:
		return ss.writeAudio(f, at)
	}
	return fmt.Errorf("%w: unknown kind %d", ErrBadFrame, f.Kind)
}

// maxJump is the largest forward step between two frames' timestamps that
// is taken as a pause rather than a discontinuity.
const maxJump = time.Second

func (ss *Session) writeVideo(f Frame, at time.Duration) error {
	m := ss.video
	if m == nil {
		return fmt.Errorf("%w: video frame without a video track", ErrBadFrame)
	}
	if len(f.NALUs) == 0 {
		return fmt.Errorf("%w: empty video frame", ErrBadFrame)
	}
	if !m.open && !f.Keyframe {
		return nil // a segment can only start on a keyframe
	}
	dts := ss.place(m, at, 0)
	cto := int64(toTicks(f.PTS-f.DTS+time.Hour, m.timescale)) - int64(toTicks(time.Hour, m.timescale))
	dur := m.delta
	if dur == 0 {
		dur = m.timescale / 30
	}
	if f.Keyframe && (!m.open || m.segTicks+uint64(dur)/2 >= m.segTarget) {
		msn := ss.s.takeMSN()
		disc := m.disc
		if err := m.startSegment(msn); err != nil {
			return err
		}
		ss.cuts = append(ss.cuts, cut{msn: msn, at: at + f.PTS - f.DTS, disc: disc})
		ss.s.win.Evict()
	}
	p := ss.scratch[:0]
	for _, n := range f.NALUs {
		p = append(p, byte(len(n)>>24), byte(len(n)>>16), byte(len(n)>>8), byte(len(n)))
		p = append(p, n...)
	}
	ss.scratch = p
	return m.add(sample{dts: dts, cto: int32(cto), dur: dur, sync: f.Keyframe, wall: ss.clock.at(f.Received, at), size: len(p)}, p)
}

func (ss *Session) writeAudio(f Frame, at time.Duration) error {
	m := ss.audio
	if m == nil {
		return fmt.Errorf("%w: audio frame without an audio track", ErrBadFrame)
	}
	if len(f.Data) == 0 || len(f.Data) > 1<<13 {
		return fmt.Errorf("%w: AAC frame of %d bytes", ErrBadFrame, len(f.Data))
	}
	dts, ok := ss.placeAudio(m, at)
	if !ok {
		return nil // overlaps audio already written: a duplicate, not news
	}
	if ss.video != nil {
		if !ss.followCut(m, at) {
			return nil // audio before the first video keyframe
		}
	} else if !m.open || m.segTicks+uint64(ss.frameLen)/2 >= m.segTarget {
		if err := m.startSegment(ss.s.takeMSN()); err != nil {
			return err
		}
		ss.s.win.Evict()
	}
	return m.add(sample{dts: dts, dur: ss.frameLen, sync: true, wall: ss.clock.at(f.Received, at), size: len(f.Data)}, f.Data)
}

// followCut starts the audio segment that matches the newest video segment
// that began at or before at. It reports whether audio has a segment open.
func (ss *Session) followCut(m *trackMuxer, at time.Duration) bool {
	i := -1
	for j, c := range ss.cuts {
		if c.at <= at {
			i = j
		}
	}
	if i >= 0 {
		c := ss.cuts[i]
		ss.cuts = append(ss.cuts[:0], ss.cuts[i+1:]...)
		msn := c.msn
		if m.started && msn != m.msn+1 {
			msn = m.msn + 1 // audio missed a whole segment: stay contiguous
		}
		if !m.open || msn > m.msn {
			// Renditions must agree on where discontinuities are, so audio
			// takes the video segment's, whatever its own timestamps did.
			m.disc = c.disc
			if err := m.startSegment(msn); err != nil {
				return false
			}
		}
	}
	return m.open
}

// placeAudio places an audio frame like place, snapping jitter of up to
// half a frame. A frame that overlaps what is already written by up to a
// few frames, as when an encoder restarts a loop a little early, is
// reported as not ok: dropping it keeps the timeline without a jump.
func (ss *Session) placeAudio(m *trackMuxer, at time.Duration) (uint64, bool) {
	if m.placed {
		raw := int64(toTicks(at, m.timescale)) + m.shift
		if d := int64(m.next) - raw; d > int64(ss.frameLen/2) && d <= 3*int64(ss.frameLen) {
			return 0, false
		}
	}
	return ss.place(m, at, ss.frameLen/2), true
}

// place maps a frame's stream time to its track's decode time. It snaps
// jitter of up to snap ticks onto the expected time, and re-bases a jump
// (backwards, or forwards by more than maxJump) onto it, marking a
// discontinuity.
func (ss *Session) place(m *trackMuxer, at time.Duration, snap uint32) uint64 {
	raw := int64(toTicks(at, m.timescale)) + m.shift
	if !m.placed {
		return uint64(max(raw, 0))
	}
	next := int64(m.next)
	diff := raw - next
	switch {
	case diff >= -int64(snap) && diff <= int64(snap):
		raw = next
	case raw <= int64(m.last) || diff > int64(toTicks(maxJump, m.timescale)):
		m.shift -= diff
		raw = next
		m.disc = true
	}
	if d := raw - int64(m.last); d > 0 && d < int64(m.timescale) {
		m.observe(uint32(d), uint64(raw))
	}
	return uint64(raw)
}

// Close ends the session. The stream stays, waiting for a publisher to return.
func (ss *Session) Close() {
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.closed {
		return
	}
	ss.closed = true
	for _, m := range []*trackMuxer{ss.video, ss.audio} {
		if m == nil {
			continue
		}
		_ = m.end()
		if end := fromTicks(m.next, m.timescale); end > s.mediaEnd {
			s.mediaEnd = end
		}
	}
	s.active = nil
}
