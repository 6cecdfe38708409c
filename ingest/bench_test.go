package ingest

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	rtmpcodecs "github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/rs/zerolog"

	"github.com/livetree/livetree/packager"
)

// discardStream accepts every frame and keeps nothing, so a benchmark
// measures the demuxer alone.
type discardStream struct{}

func (discardStream) Publish(packager.Tracks) (mediaSession, error) { return discardSession{}, nil }
func (discardStream) End()                                          {}

type discardSession struct{}

func (discardSession) WriteFrame(packager.Frame) error { return nil }
func (discardSession) Close()                          {}

// benchDemux runs demux over data b.N times and reports frames per second
// and allocations per frame.
func benchDemux(b *testing.B, data []byte, demux func(r *bytes.Reader, s *sink) error) {
	st := &Stats{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		s := newSink(discardStream{}, protoTS, st, zerolog.Nop())
		if err := demux(bytes.NewReader(data), s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	frames := float64(st.FramesIn[protoTS].Load())
	b.ReportMetric(frames/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/frames, "allocs/frame")
}

func BenchmarkTSDemux(b *testing.B) {
	data := readRepoFile(b, "sample.ts")
	benchDemux(b, data, func(r *bytes.Reader, s *sink) error { return demuxTS(r, s) })
}

func BenchmarkFMP4Demux(b *testing.B) {
	data := readRepoFile(b, "sample.cmaf.mp4")
	benchDemux(b, data, func(r *bytes.Reader, s *sink) error { return demuxFMP4(r, s, maxBoxBytes) })
}

// BenchmarkRTMPPublishers runs concurrent RTMP publishers, each sending the
// sample's 770 frames as fast as it can, through the whole server: RTMP,
// sink and packager.
func BenchmarkRTMPPublishers(b *testing.B) {
	frames, sps, pps, asc := sampleFrames(b)
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("publishers=%d", n), func(b *testing.B) {
			cfg := testConfig()
			cfg.Linger = time.Millisecond
			log := zerolog.Nop()
			s, err := New(cfg, log)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-s.Ready()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var wg sync.WaitGroup
				for p := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := publishFrames(s.RTMPAddr(), fmt.Sprintf("b%d-%d", i, p), frames, sps, pps, asc); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				want := uint64((i + 1) * n * (len(frames) - 1))
				for s.Stats().FramesIn[protoRTMP].Load() < want*9/10 || s.Stats().PublishersActive.Load() > 0 {
					time.Sleep(time.Millisecond)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(s.Stats().FramesIn[protoRTMP].Load())/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

// sampleFrames demuxes the sample into memory.
func sampleFrames(b testing.TB) (frames []packager.Frame, sps, pps, asc []byte) {
	s, fs, _ := newTestSink(nil, protoTS)
	if err := demuxTS(bytes.NewReader(readRepoFile(b, "sample.ts")), s); err != nil {
		b.Fatal(err)
	}
	pubs, frames, _, _ := fs.snapshot()
	return frames, pubs[0].Video.SPS, pubs[0].Video.PPS, pubs[0].Audio.ASC
}

// publishFrames publishes frames to stream with gortmplib's client.
func publishFrames(addr, stream string, frames []packager.Frame, sps, pps, asc []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := rtmpPublish(ctx, addr, stream)
	if err != nil {
		return err
	}
	defer c.Close()
	var conf mpeg4audio.AudioSpecificConfig
	if err := conf.Unmarshal(asc); err != nil {
		return err
	}
	video := &gortmplib.Track{Codec: &rtmpcodecs.H264{SPS: sps, PPS: pps}}
	audio := &gortmplib.Track{Codec: &rtmpcodecs.MPEG4Audio{Config: &conf}}
	w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{video, audio}}
	if err := w.Initialize(); err != nil {
		return err
	}
	base := frames[0].DTS
	for _, f := range frames {
		if f.DTS < base {
			continue // RTMP timestamps cannot go below the first one
		}
		if f.Kind == packager.Video {
			au := append([][]byte{sps, pps}, f.NALUs...)
			if !f.Keyframe {
				au = f.NALUs
			}
			err = w.WriteH264(video, f.PTS-base, f.DTS-base, au)
		} else {
			err = w.WriteMPEG4Audio(audio, f.PTS-base, f.Data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
