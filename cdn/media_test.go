package cdn

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/livetree/livetree/packager"
)

// sample is the repository's testdata/sample.ts as a publisher would hand
// it to the packager: the tracks it announces and its frames in order.
type sample struct {
	tracks packager.Tracks
	frames []packager.Frame
}

var (
	sampleOnce sync.Once
	sampleClip *sample
	sampleErr  error
)

// loadSample demuxes testdata/sample.ts once for all tests.
func loadSample(t testing.TB) *sample {
	t.Helper()
	sampleOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "sample.ts"))
		if err != nil {
			sampleErr = err
			return
		}
		sampleClip, sampleErr = demuxTS(data)
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleClip
}

func demuxTS(data []byte) (*sample, error) {
	r := &mpegts.Reader{R: bytes.NewReader(data)}
	if err := r.Initialize(); err != nil {
		return nil, err
	}
	c := &sample{}
	wall := time.Now()
	at := func(ticks int64) time.Duration { return time.Duration(ticks) * time.Second / 90000 }
	for _, tr := range r.Tracks() {
		switch codec := tr.Codec.(type) {
		case *tscodecs.H264:
			r.OnDataH264(tr, func(pts, dts int64, au [][]byte) error {
				for _, n := range au {
					switch h264.NALUType(n[0] & 0x1f) {
					case h264.NALUTypeSPS:
						if c.tracks.Video == nil {
							c.tracks.Video = &packager.VideoConfig{}
						}
						c.tracks.Video.SPS = append([]byte(nil), n...)
					case h264.NALUTypePPS:
						if c.tracks.Video == nil {
							c.tracks.Video = &packager.VideoConfig{}
						}
						c.tracks.Video.PPS = append([]byte(nil), n...)
					}
				}
				c.frames = append(c.frames, packager.Frame{Kind: packager.Video, DTS: at(dts), PTS: at(pts),
					Keyframe: h264.IsRandomAccess(au), NALUs: au, Received: wall.Add(at(dts))})
				return nil
			})
		case *tscodecs.MPEG4Audio:
			asc, err := codec.Config.Marshal()
			if err != nil {
				return nil, err
			}
			c.tracks.Audio = &packager.AudioConfig{ASC: asc}
			rate := int64(codec.Config.SampleRate)
			r.OnDataMPEG4Audio(tr, func(pts int64, aus [][]byte) error {
				for i, au := range aus {
					d := at(pts) + time.Duration(int64(i)*1024*int64(time.Second)/rate)
					c.frames = append(c.frames, packager.Frame{Kind: packager.Audio, DTS: d, PTS: d, Data: au,
						Received: wall.Add(d)})
				}
				return nil
			})
		}
	}
	for r.Read() == nil {
	}
	if c.tracks.Video == nil || c.tracks.Audio == nil {
		return nil, os.ErrInvalid
	}
	return c, nil
}
