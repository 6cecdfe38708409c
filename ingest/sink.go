package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/rs/zerolog"

	"github.com/livetree/livetree/packager"
)

// liveStream is the packager side of one stream name as the ingest uses it:
// *packager.Stream behind an adapter, or a fake in tests.
type liveStream interface {
	Publish(t packager.Tracks) (mediaSession, error)
	End()
}

// mediaSession is one publish session of a liveStream.
type mediaSession interface {
	WriteFrame(f packager.Frame) error
	Close()
}

// maxWaitFrames bounds how many frames a publisher may send before every
// track it announced has a codec configuration (an H.264 stream without
// SPS/PPS, say) before it is dropped.
const maxWaitFrames = 1000

// sink turns one publisher's demuxed media into packager sessions. It holds
// frames back until every announced track has its codec configuration,
// starts sessions on a video keyframe, strips in-band parameter sets and
// delimiters from video frames, and restarts the session (a discontinuity
// in the same window) when the codec configuration changes. A sink is used
// by one goroutine.
type sink struct {
	stream liveStream
	proto  proto
	stats  *Stats
	log    zerolog.Logger

	wantVideo, wantAudio bool
	// next is the latest configuration seen; cur the one sess was published
	// with.
	next, cur packager.Tracks
	sess      mediaSession
	waited    int
	badFrames int
	nalus     [][]byte
}

func newSink(st liveStream, p proto, stats *Stats, log zerolog.Logger) *sink {
	return &sink{stream: st, proto: p, stats: stats, log: log}
}

// expect announces which tracks the publisher carries.
func (s *sink) expect(video, audio bool) {
	s.wantVideo, s.wantAudio = video, audio
}

// setVideoConfig records H.264 parameter sets; either may be nil to keep the
// one already known.
func (s *sink) setVideoConfig(sps, pps []byte) {
	c := packager.VideoConfig{}
	if s.next.Video != nil {
		c = *s.next.Video
	}
	if sps != nil && !bytes.Equal(sps, c.SPS) {
		c.SPS = bytes.Clone(sps)
	}
	if pps != nil && !bytes.Equal(pps, c.PPS) {
		c.PPS = bytes.Clone(pps)
	}
	s.next.Video = &c
}

// setAudioConfig records an AAC AudioSpecificConfig.
func (s *sink) setAudioConfig(asc []byte) {
	if s.next.Audio != nil && bytes.Equal(s.next.Audio.ASC, asc) {
		return
	}
	s.next.Audio = &packager.AudioConfig{ASC: bytes.Clone(asc)}
}

// writeVideo takes one H.264 access unit as a list of NAL units.
func (s *sink) writeVideo(dts, pts time.Duration, au [][]byte, received time.Time) error {
	if !s.wantVideo {
		return nil
	}
	var sps, pps []byte
	key := false
	out := s.nalus[:0]
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			sps = n
		case h264.NALUTypePPS:
			pps = n
		case h264.NALUTypeAccessUnitDelimiter, h264.NALUTypeFillerData:
		case h264.NALUTypeIDR:
			key = true
			out = append(out, n)
		default:
			out = append(out, n)
		}
	}
	s.nalus = out
	if sps != nil || pps != nil {
		s.setVideoConfig(sps, pps)
	}
	if len(out) == 0 {
		return nil
	}
	return s.write(packager.Frame{
		Kind: packager.Video, DTS: dts, PTS: pts, Keyframe: key,
		NALUs: out, Received: received,
	})
}

// writeAudio takes one raw AAC frame.
func (s *sink) writeAudio(pts time.Duration, data []byte, received time.Time) error {
	if !s.wantAudio || len(data) == 0 {
		return nil
	}
	return s.write(packager.Frame{
		Kind: packager.Audio, DTS: pts, PTS: pts, Data: data, Received: received,
	})
}

func (s *sink) write(f packager.Frame) error {
	if s.sess == nil || s.changed() {
		if !s.canStart(f) {
			if s.sess == nil {
				s.waited++
				if s.waited > maxWaitFrames {
					return s.missingConfig()
				}
			}
			return nil
		}
		if err := s.start(); err != nil {
			return err
		}
	}
	err := s.sess.WriteFrame(f)
	switch {
	case err == nil:
		s.stats.FramesIn[s.proto].Add(1)
		return nil
	case errors.Is(err, packager.ErrClosed):
		return fmt.Errorf("packager closed the session: %w", err)
	case errors.Is(err, packager.ErrBadFrame):
		s.stats.BadFrames.Add(1)
		s.badFrames++
		// The first bad frame of a session is worth a line; the rest only
		// count, or a broken encoder would flood the log.
		if s.badFrames == 1 {
			s.log.Warn().Err(err).Str("kind", f.Kind.String()).Dur("dts", f.DTS).Msg("frame rejected")
		}
		return nil
	}
	return err
}

// changed reports whether the configuration moved since sess started.
func (s *sink) changed() bool {
	return (s.wantVideo && !sameVideo(s.next.Video, s.cur.Video)) ||
		(s.wantAudio && !sameAudio(s.next.Audio, s.cur.Audio))
}

// canStart reports whether a session may start with frame f: every
// announced track is configured, and a video stream starts on a keyframe.
func (s *sink) canStart(f packager.Frame) bool {
	if s.wantVideo {
		v := s.next.Video
		if v == nil || len(v.SPS) == 0 || len(v.PPS) == 0 || f.Kind != packager.Video || !f.Keyframe {
			return false
		}
	}
	return !s.wantAudio || s.next.Audio != nil
}

func (s *sink) start() error {
	restart := s.sess != nil
	if restart {
		s.sess.Close()
		s.sess = nil
	}
	t := packager.Tracks{}
	if s.wantVideo {
		t.Video = s.next.Video
	}
	if s.wantAudio {
		t.Audio = s.next.Audio
	}
	sess, err := s.stream.Publish(t)
	switch {
	case errors.Is(err, packager.ErrBadConfig):
		return fmt.Errorf("%w: %w", ErrBadMedia, err)
	case errors.Is(err, packager.ErrPublishing):
		return fmt.Errorf("%w: %w", ErrBusy, err)
	case err != nil:
		return err
	}
	s.sess, s.cur, s.badFrames = sess, t, 0
	ev := s.log.Info().Bool("video", t.Video != nil).Bool("audio", t.Audio != nil)
	if restart {
		ev.Msg("codec configuration changed, session restarted")
	} else {
		ev.Msg("session started")
	}
	return nil
}

func (s *sink) missingConfig() error {
	if s.wantVideo && (s.next.Video == nil || len(s.next.Video.SPS) == 0 || len(s.next.Video.PPS) == 0) {
		return fmt.Errorf("%w: no H.264 SPS/PPS in the first %d frames", ErrBadMedia, maxWaitFrames)
	}
	if s.wantAudio && s.next.Audio == nil {
		return fmt.Errorf("%w: no AAC configuration in the first %d frames", ErrBadMedia, maxWaitFrames)
	}
	return fmt.Errorf("%w: no H.264 keyframe in the first %d frames", ErrBadMedia, maxWaitFrames)
}

// close ends the current session, if any.
func (s *sink) close() {
	if s.sess != nil {
		s.sess.Close()
		s.sess = nil
	}
}

func sameVideo(a, b *packager.VideoConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.SPS, b.SPS) && bytes.Equal(a.PPS, b.PPS)
}

func sameAudio(a, b *packager.AudioConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.ASC, b.ASC)
}
