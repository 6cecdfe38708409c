package ingest

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// tsClock is the MPEG-TS timestamp rate.
const tsClock = 90000

// demuxTS reads an MPEG-TS stream until EOF and feeds its H.264 and AAC
// tracks to s. Other audio or video codecs are refused; data tracks (KLV,
// subtitles, SCTE-35) are ignored.
func demuxTS(r io.Reader, s *sink) error {
	g := newTSGuard(r)
	mr := &mpegts.Reader{R: g}
	if err := mr.Initialize(); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: MPEG-TS ended before a PAT/PMT", ErrBadMedia)
		}
		if classified(err) {
			return err
		}
		return fmt.Errorf("%w: MPEG-TS: %w", ErrBadMedia, err)
	}
	g.initDone()

	var video, audio *mpegts.Track
	for _, t := range mr.Tracks() {
		switch t.Codec.(type) {
		case *tscodecs.H264:
			if video != nil {
				return fmt.Errorf("%w: more than one H.264 track", ErrUnsupportedCodec)
			}
			video = t
		case *tscodecs.MPEG4Audio:
			if audio != nil {
				return fmt.Errorf("%w: more than one AAC track", ErrUnsupportedCodec)
			}
			audio = t
		case *tscodecs.KLV, *tscodecs.DVBSubtitle, *tscodecs.Unsupported:
		default:
			return fmt.Errorf("%w: %s on PID %d (want H.264 and AAC)", ErrUnsupportedCodec, tsCodecName(t.Codec), t.PID)
		}
	}
	if video == nil && audio == nil {
		return fmt.Errorf("%w: no H.264 or AAC track in the PMT", ErrUnsupportedCodec)
	}
	s.expect(video != nil, audio != nil)

	// One decoder unwraps the 33-bit clock for both tracks; they never drift
	// apart by anywhere near the 13 hours that would confuse it.
	var td mpegts.TimeDecoder
	if video != nil {
		mr.OnDataH264(video, func(pts, dts int64, au [][]byte) error {
			d := td.Decode(dts)
			return s.writeVideo(tsDuration(d), tsDuration(d+wrapDelta(pts-dts)), au, time.Now())
		})
	}
	if audio != nil {
		conf := audio.Codec.(*tscodecs.MPEG4Audio).Config
		asc, err := conf.Marshal()
		if err != nil || conf.SampleRate <= 0 {
			return fmt.Errorf("%w: AAC configuration: %v", ErrBadMedia, err)
		}
		s.setAudioConfig(asc)
		frameLen := time.Duration(aacFrameSamples(conf.FrameLengthFlag)) * time.Second / time.Duration(conf.SampleRate)
		mr.OnDataMPEG4Audio(audio, func(pts int64, aus [][]byte) error {
			base := tsDuration(td.Decode(pts))
			now := time.Now()
			for i, au := range aus {
				if err := s.writeAudio(base+time.Duration(i)*frameLen, au, now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	mr.OnDecodeError(func(err error) {
		s.stats.BadFrames.Add(1)
		s.log.Debug().Err(err).Msg("MPEG-TS decode error")
	})

	for {
		err := mr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// tsDuration converts 90 kHz ticks to a duration.
func tsDuration(t int64) time.Duration {
	return time.Duration(t/tsClock)*time.Second + time.Duration(t%tsClock)*time.Second/tsClock
}

// wrapDelta returns the signed difference a 33-bit clock difference stands
// for, so a PTS that wrapped past a DTS still lands just after it.
func wrapDelta(d int64) int64 {
	const span = 1 << 33
	d &= span - 1
	if d >= span/2 {
		d -= span
	}
	return d
}

// aacFrameSamples returns the samples per AAC frame.
func aacFrameSamples(frameLengthFlag bool) int {
	if frameLengthFlag {
		return 960
	}
	return 1024
}

func tsCodecName(c tscodecs.Codec) string {
	switch c.(type) {
	case *tscodecs.H265:
		return "H.265"
	case *tscodecs.MPEG1Video:
		return "MPEG-1/2 video"
	case *tscodecs.MPEG4Video:
		return "MPEG-4 video"
	case *tscodecs.MPEG1Audio:
		return "MPEG-1 audio (MP3)"
	case *tscodecs.MPEG4AudioLATM:
		return "AAC LATM"
	case *tscodecs.AC3:
		return "AC-3"
	case *tscodecs.EAC3:
		return "E-AC-3"
	case *tscodecs.Opus:
		return "Opus"
	}
	return fmt.Sprintf("%T", c)
}
