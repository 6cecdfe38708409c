package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	rtmpcodecs "github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/rs/zerolog"
)

// maxRTMPSetupBytes bounds what a connection may send before its tracks are
// known: gortmplib buffers up to two seconds of media while it looks for
// them.
const maxRTMPSetupBytes = 64 << 20

// refuseLinger is how long a refused RTMP publisher gets to read its
// onStatus error before the connection closes.
const refuseLinger = time.Second

// acceptRTMP accepts RTMP connections until ln is closed. Each connection
// runs in a goroutine that Run waits for.
func (s *Server) acceptRTMP(ctx context.Context, ln net.Listener) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("RTMP accept: %w", err)
		}
		select {
		case s.rtmpSlots <- struct{}{}:
		default:
			s.stats.reject(ErrTooManyPublishers)
			s.log.Warn().Str("proto", "rtmp").Str("remote", nc.RemoteAddr().String()).
				Msg("connection refused: too many RTMP connections")
			nc.Close()
			continue
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			defer func() { <-s.rtmpSlots }()
			s.serveRTMP(ctx, nc)
		}()
	}
}

// serveRTMP runs one RTMP connection to its end and logs how it ended.
func (s *Server) serveRTMP(ctx context.Context, nc net.Conn) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	c := newPublisherConn(nc, s.cfg.ReadTimeout, maxRTMPSetupBytes, &s.stats.BytesIn[protoRTMP])
	log := s.log.With().Str("proto", protoRTMP.String()).Str("remote", nc.RemoteAddr().String()).Logger()
	err := s.rtmpSession(ctx, c, &log)
	switch {
	case ctx.Err() != nil:
		err = ErrShutdown
	case c.timedOut:
		err = fmt.Errorf("%w: no data for %v", ErrTimeout, s.cfg.ReadTimeout)
	case c.overBudget:
		err = fmt.Errorf("%w: no H.264/AAC tracks in the first %d bytes", ErrBadMedia, maxRTMPSetupBytes)
	}
	s.finish(log, err)
}

// finish logs how a publisher ended, once, and counts rejections.
func (s *Server) finish(log zerolog.Logger, err error) {
	if err == nil {
		log.Info().Msg("publisher left")
		return
	}
	s.stats.reject(err)
	log.Warn().Str("error", redact(err)).Str("reason", reason(err)).
		Msg("publisher refused or dropped")
}

// rtmpSession handshakes, admits the publisher and forwards its media until
// it leaves. log gains the stream's fields once they are known.
func (s *Server) rtmpSession(ctx context.Context, c *publisherConn, log *zerolog.Logger) error {
	sc := &gortmplib.ServerConn{RW: c}
	if err := sc.Initialize(); err != nil {
		return fmt.Errorf("%w: RTMP handshake or connect: %w", ErrBadMedia, err)
	}
	if err := sc.AcceptConn(); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The publish name made the URL unparsable (a control
			// character, say): the publisher is waiting for an answer.
			err = fmt.Errorf("%w: unparsable stream URL", ErrBadName)
			s.rtmpRefuse(c, sc, err)
			return err
		}
		return fmt.Errorf("%w: RTMP before publish: %w", ErrBadMedia, err)
	}
	if !sc.Publish {
		err := fmt.Errorf("%w: this server only takes publishers; play from the HTTP port", ErrUnsupportedFormat)
		s.rtmpRefuse(c, sc, err)
		return err
	}
	name, key, err := parseRTMPURL(sc.URL)
	if err != nil {
		s.rtmpRefuse(c, sc, err)
		return err
	}
	*log = log.With().Str("stream", name).Bool("key_present", key != "").Logger()
	l, err := s.admit(ctx, name, key)
	if err != nil {
		s.rtmpRefuse(c, sc, err)
		return err
	}
	defer s.leave(l)

	if err := sc.AcceptAction(); err != nil {
		return fmt.Errorf("%w: RTMP: %w", ErrBadMedia, err)
	}
	r := &gortmplib.Reader{Conn: &rtmpFilter{ServerConn: sc}}
	if err := r.Initialize(); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: publisher left before its tracks were known", ErrBadMedia)
		}
		err = rtmpMediaError(err)
		s.rtmpRefuse(c, sc, err)
		return err
	}
	c.setupDone()

	snk := newSink(l.stream, protoRTMP, &s.stats, *log)
	defer snk.close()
	var cbErr error
	var video, audio bool
	for _, t := range r.Tracks() {
		switch codec := t.Codec.(type) {
		case *rtmpcodecs.H264:
			video = true
			snk.setVideoConfig(codec.SPS, codec.PPS)
			r.OnDataH264(t, func(pts, dts time.Duration, au [][]byte) {
				if cbErr == nil {
					cbErr = snk.writeVideo(dts, pts, au, time.Now())
				}
			})
		case *rtmpcodecs.MPEG4Audio:
			asc, err := codec.Config.Marshal()
			if err != nil {
				return fmt.Errorf("%w: AAC configuration: %w", ErrBadMedia, err)
			}
			audio = true
			snk.setAudioConfig(asc)
			r.OnDataMPEG4Audio(t, func(pts time.Duration, au []byte) {
				if cbErr == nil {
					cbErr = snk.writeAudio(pts, au, time.Now())
				}
			})
		default:
			// rtmpFilter lets only H.264 and AAC through.
			return fmt.Errorf("%w: %T", ErrUnsupportedCodec, t.Codec)
		}
	}
	snk.expect(video, audio)
	s.stats.Publishes[protoRTMP].Add(1)
	log.Info().Bool("video", video).Bool("audio", audio).Msg("publishing")

	for {
		err := r.Read()
		if cbErr != nil {
			s.rtmpRefuse(c, sc, cbErr)
			return cbErr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			err = rtmpMediaError(err)
			s.rtmpRefuse(c, sc, err)
			return err
		}
	}
}

// rtmpMediaError classifies an error of gortmplib's reader. Its codec
// errors are plain strings, hence the text match.
func rtmpMediaError(err error) error {
	switch {
	case classified(err), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return err
	case strings.Contains(err.Error(), "unsupported"):
		return fmt.Errorf("%w: %s (want H.264 and AAC)", ErrUnsupportedCodec, strings.TrimPrefix(err.Error(), "unsupported "))
	}
	return fmt.Errorf("%w: RTMP: %w", ErrBadMedia, err)
}

// rtmpRefuse tells the publisher why it is refused with an onStatus error,
// then closes the sending side and waits briefly for the client to hang up,
// so the status is not lost to a reset. Failures are ignored: the
// connection is going away anyway.
func (s *Server) rtmpRefuse(c *publisherConn, sc *gortmplib.ServerConn, err error) {
	if c.timedOut || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return
	}
	code := rtmpStatusCode(err)
	_ = sc.Write(&message.CommandAMF0{
		ChunkStreamID:   5,
		MessageStreamID: 0x1000000,
		Name:            "onStatus",
		Arguments: []any{
			nil,
			amf0.Object{
				{Key: "level", Value: "error"},
				{Key: "code", Value: code},
				{Key: "description", Value: redact(err)},
			},
		},
	})
	c.lingerClose(s.refuseLinger)
}

// rtmpFilter passes only H.264 and AAC media messages to gortmplib's
// reader, so every other codec gets a clear error up front instead of
// reaching code paths that assume a codec.
type rtmpFilter struct {
	*gortmplib.ServerConn
}

func (f *rtmpFilter) Read() (message.Message, error) {
	msg, err := f.ServerConn.Read()
	if err != nil {
		return nil, err
	}
	switch m := msg.(type) {
	case *message.Video:
		if m.Codec != message.CodecH264 {
			return nil, fmt.Errorf("%w: video codec %d (want H.264)", ErrUnsupportedCodec, m.Codec)
		}
	case *message.VideoExSequenceStart:
		return msg, checkFourCC(m.FourCC, message.FourCCAVC)
	case *message.VideoExCodedFrames:
		return msg, checkFourCC(m.FourCC, message.FourCCAVC)
	case *message.VideoExFramesX:
		return msg, checkFourCC(m.FourCC, message.FourCCAVC)
	case *message.Audio:
		if m.Codec != message.CodecMPEG4Audio {
			return nil, fmt.Errorf("%w: audio codec %s (want AAC)", ErrUnsupportedCodec, flvAudioCodecName(m.Codec))
		}
	case *message.AudioExSequenceStart:
		return msg, checkFourCC(m.FourCC, message.FourCCMP4A)
	case *message.AudioExCodedFrames:
		return msg, checkFourCC(m.FourCC, message.FourCCMP4A)
	case *message.VideoExMultitrack, *message.AudioExMultitrack:
		return nil, fmt.Errorf("%w: multitrack RTMP", ErrUnsupportedCodec)
	}
	return msg, nil
}

func checkFourCC(got, want message.FourCC) error {
	if got == want {
		return nil
	}
	b := []byte{byte(got >> 24), byte(got >> 16), byte(got >> 8), byte(got)}
	return fmt.Errorf("%w: %q (want H.264 and AAC)", ErrUnsupportedCodec, printable(string(b)))
}

func flvAudioCodecName(c uint8) string {
	switch c {
	case message.CodecMPEG1Audio:
		return "MP3"
	case message.CodecLPCM:
		return "PCM"
	case message.CodecPCMA:
		return "G.711 A-law"
	case message.CodecPCMU:
		return "G.711 µ-law"
	}
	return fmt.Sprint(c)
}
