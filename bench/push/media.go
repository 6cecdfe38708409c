// Package push simulates broadcasters: it replays a media file to an ingest
// server in real time, in a loop, with continuous timestamps, over RTMP or
// HTTP push, so a load test needs no encoder per stream.
//
// The clip is decoded once (LoadTS) and shared by every publisher. RTMP
// and HTTP publish one stream; a Runner publishes many at once and
// measures what they sent, how far behind real time the senders fell,
// and, from the ingest's /metrics, what it received. MakeTS encodes a
// heavier clip with ffmpeg when the sample's bitrate is too low.
package push

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/livetree/livetree/packager"
)

// Media is a clip decoded once and replayed by any number of publishers.
// It is read-only after LoadTS.
type Media struct {
	Tracks   packager.Tracks
	ASC      *mpeg4audio.AudioSpecificConfig // nil without audio
	Frames   []packager.Frame                // in file order; DTS and PTS start near zero
	Duration time.Duration                   // one loop, so the next loop's times follow on
	Bitrate  float64                         // bits per second
}

// LoadTS reads an MPEG-TS file with H.264 video and AAC audio.
func LoadTS(path string) (*Media, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTS(data)
}

// ParseTS decodes MPEG-TS bytes into Media.
func ParseTS(data []byte) (*Media, error) {
	r := &mpegts.Reader{R: bytes.NewReader(data)}
	if err := r.Initialize(); err != nil {
		return nil, fmt.Errorf("push: reading MPEG-TS: %w", err)
	}
	m := &Media{}
	at := func(ticks int64) time.Duration { return time.Duration(ticks) * time.Second / 90000 }
	var size int
	for _, tr := range r.Tracks() {
		switch codec := tr.Codec.(type) {
		case *tscodecs.H264:
			r.OnDataH264(tr, func(pts, dts int64, au [][]byte) error {
				m.noteParameterSets(au)
				for _, n := range au {
					size += len(n)
				}
				m.Frames = append(m.Frames, packager.Frame{Kind: packager.Video, DTS: at(dts), PTS: at(pts),
					Keyframe: h264.IsRandomAccess(au), NALUs: au})
				return nil
			})
		case *tscodecs.MPEG4Audio:
			asc := codec.Config
			raw, err := asc.Marshal()
			if err != nil {
				return nil, fmt.Errorf("push: audio config: %w", err)
			}
			m.ASC = &asc
			m.Tracks.Audio = &packager.AudioConfig{ASC: raw}
			rate := int64(asc.SampleRate)
			r.OnDataMPEG4Audio(tr, func(pts int64, aus [][]byte) error {
				for i, au := range aus {
					size += len(au)
					d := at(pts) + time.Duration(int64(i)*1024*int64(time.Second)/rate)
					m.Frames = append(m.Frames, packager.Frame{Kind: packager.Audio, DTS: d, PTS: d, Data: au})
				}
				return nil
			})
		}
	}
	for {
		if err := r.Read(); err != nil {
			break
		}
	}
	if m.Tracks.Video == nil || len(m.Tracks.Video.SPS) == 0 || len(m.Tracks.Video.PPS) == 0 {
		return nil, errors.New("push: no H.264 track with SPS and PPS")
	}
	m.normalise()
	if m.Duration > 0 {
		m.Bitrate = float64(size*8) / m.Duration.Seconds()
	}
	return m, nil
}

func (m *Media) noteParameterSets(au [][]byte) {
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		if m.Tracks.Video == nil {
			m.Tracks.Video = &packager.VideoConfig{}
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			m.Tracks.Video.SPS = n
		case h264.NALUTypePPS:
			m.Tracks.Video.PPS = n
		}
	}
}

// normalise shifts times to start at zero and sets the loop duration to the
// video's, so that the picture loops without a gap. The sample's audio runs
// a few tens of milliseconds longer; the next loop's first audio frames
// then overlap the last ones, and the packager drops them as duplicates,
// which keeps both tracks continuous. Looping by the audio's length would
// leave a hole in the video that stalls every player.
func (m *Media) normalise() {
	if len(m.Frames) == 0 {
		return
	}
	first := m.Frames[0].DTS
	for _, f := range m.Frames {
		first = min(first, f.DTS)
	}
	var last, step [3]time.Duration // by packager.Kind
	for i := range m.Frames {
		f := &m.Frames[i]
		f.DTS -= first
		f.PTS -= first
		if k := f.Kind; f.DTS > last[k] {
			step[k] = f.DTS - last[k]
			last[k] = f.DTS
		}
	}
	m.Duration = last[packager.Video] + step[packager.Video]
	if m.Duration == 0 {
		m.Duration = last[packager.Audio] + step[packager.Audio]
	}
}

// InDecodeOrder returns the media with its frames sorted by decode time
// across tracks, so a publisher sends every frame when it is due, as a
// live encoder does. In file order an MPEG-TS muxer holds audio back and
// interleaves it in bursts a quarter of a second apart, which replayed
// makes audio parts complete in clumps. The frames share their payloads.
func (m *Media) InDecodeOrder() *Media {
	out := *m
	out.Frames = slices.Clone(m.Frames)
	slices.SortStableFunc(out.Frames, func(a, b packager.Frame) int { return cmp.Compare(a.DTS, b.DTS) })
	return &out
}

// Stamped returns the frames, in file order, with Received set as if a
// publisher sent each in real time from wall on: wall plus its decode time.
// The frames share the media's payloads.
func (m *Media) Stamped(wall time.Time) []packager.Frame {
	out := make([]packager.Frame, len(m.Frames))
	for i, f := range m.Frames {
		f.Received = wall.Add(f.DTS)
		out[i] = f
	}
	return out
}
