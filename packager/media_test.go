package packager

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/livetree/livetree/internal/tooltest"
)

// clip is decoded media: the tracks a publisher would announce and its frames
// in arrival order.
type clip struct {
	tracks Tracks
	frames []Frame
	video  int
	audio  int
}

var clips sync.Map // "seconds,gop" → *clip

// testClip encodes seconds of test pattern and tone with ffmpeg as MPEG-TS
// and reads it back into frames. Results are shared between tests.
func testClip(t testing.TB, seconds, gop int) *clip {
	t.Helper()
	key := [2]int{seconds, gop}
	if c, ok := clips.Load(key); ok {
		return c.(*clip)
	}
	ffmpeg := tooltest.Need(t, "ffmpeg")
	dir := t.TempDir()
	out := filepath.Join(dir, "clip.ts")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", itoa(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", itoa(gop), "-keyint_min", itoa(gop),
		"-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "mpegts", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c := readTS(t, data)
	clips.Store(key, c)
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func readTS(t testing.TB, data []byte) *clip {
	t.Helper()
	r := &mpegts.Reader{R: bytes.NewReader(data)}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	c := &clip{}
	wall := time.Now()
	at := func(ticks int64) time.Duration { return time.Duration(ticks) * time.Second / 90000 }
	for _, tr := range r.Tracks() {
		switch codec := tr.Codec.(type) {
		case *tscodecs.H264:
			r.OnDataH264(tr, func(pts, dts int64, au [][]byte) error {
				key := h264.IsRandomAccess(au)
				for _, n := range au {
					switch h264.NALUType(n[0] & 0x1f) {
					case h264.NALUTypeSPS:
						if c.tracks.Video == nil {
							c.tracks.Video = &VideoConfig{}
						}
						c.tracks.Video.SPS = append([]byte(nil), n...)
					case h264.NALUTypePPS:
						if c.tracks.Video == nil {
							c.tracks.Video = &VideoConfig{}
						}
						c.tracks.Video.PPS = append([]byte(nil), n...)
					}
				}
				c.frames = append(c.frames, Frame{Kind: Video, DTS: at(dts), PTS: at(pts), Keyframe: key,
					NALUs: au, Received: wall.Add(at(dts))})
				c.video++
				return nil
			})
		case *tscodecs.MPEG4Audio:
			asc, err := codec.Config.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			c.tracks.Audio = &AudioConfig{ASC: asc}
			rate := int64(codec.Config.SampleRate)
			r.OnDataMPEG4Audio(tr, func(pts int64, aus [][]byte) error {
				for i, au := range aus {
					d := at(pts) + time.Duration(int64(i)*1024*int64(time.Second)/rate)
					c.frames = append(c.frames, Frame{Kind: Audio, DTS: d, PTS: d, Data: au, Received: wall.Add(d)})
					c.audio++
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
	if c.tracks.Video == nil || c.tracks.Audio == nil || c.video == 0 || c.audio == 0 {
		t.Fatalf("clip incomplete: %+v video=%d audio=%d", c.tracks, c.video, c.audio)
	}
	return c
}
