package packager

import (
	"bytes"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager/window"
)

func publish(t *testing.T, st *Stream, c *clip, shift time.Duration) *Session {
	t.Helper()
	sess, err := st.Publish(c.tracks)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.frames {
		f.DTS += shift
		f.PTS += shift
		if err := sess.WriteFrame(f); err != nil {
			t.Fatalf("WriteFrame: %v", err)
		}
	}
	return sess
}

// trackBytes joins a track's init and segments of one epoch, as a player
// that started at the window's beginning would fetch them.
func trackBytes(t *testing.T, tr *window.Track, epoch string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, s := range tr.Segments() {
		if epoch != "" && s.Init.Epoch != epoch {
			continue
		}
		if b.Len() == 0 {
			b.Write(s.Init.Data)
		}
		data, complete := s.Bytes(0)
		if !complete {
			t.Fatalf("segment %d incomplete after End", s.MSN)
		}
		b.Write(data)
	}
	return b.Bytes()
}

// probe returns the number of frames ffprobe counts in media, and fails on
// any error ffprobe or a full ffmpeg decode report.
func probe(t *testing.T, media []byte) int {
	t.Helper()
	cmd := exec.Command(tooltest.Need(t, "ffprobe"), "-v", "error", "-count_frames", "-show_entries",
		"stream=nb_read_frames", "-of", "csv=p=0", "-i", "-")
	cmd.Stdin = bytes.NewReader(media)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	if e, ok := err.(*exec.ExitError); ok && len(e.Stderr) > 0 {
		t.Fatalf("ffprobe: %s", e.Stderr)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe output %q: %v", out, err)
	}
	dec := exec.Command(tooltest.Need(t, "ffmpeg"), "-v", "error", "-i", "-", "-f", "null", "-")
	dec.Stdin = bytes.NewReader(media)
	if b, err := dec.CombinedOutput(); err != nil || len(b) > 0 {
		t.Fatalf("ffmpeg decode: %v\n%s", err, b)
	}
	return n
}

func TestPackagedMediaDecodes(t *testing.T) {
	c := testClip(t, 4, 30)
	for _, tc := range []struct {
		name   string
		frames int
	}{{"per-frame chunks", 1}, {"three-frame chunks", 3}, {"one chunk per part", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.ChunkFrames = tc.frames
			st := NewStream("s", cfg)
			publish(t, st, c, 0)
			st.End()
			tracks := st.Window().Tracks()
			if len(tracks) != 2 {
				t.Fatalf("got %d tracks", len(tracks))
			}
			for _, tr := range tracks {
				want := c.video
				if tr.Init().Info.Kind == "audio" {
					want = c.audio
				}
				// Audio before the first video keyframe is dropped to keep
				// segments aligned; allow those few frames.
				if got := probe(t, trackBytes(t, tr, "")); got > want || got < want-3 {
					t.Errorf("%s: decoded %d frames, published %d", tr.Init().Info.Kind, got, want)
				}
				checkStructure(t, tr, cfg)
			}
		})
	}
}

// checkStructure verifies the promises readers rely on: contiguous numbers,
// segments that are their parts, parts within target, keyframe starts, and a
// prft in every chunk.
func checkStructure(t *testing.T, tr *window.Track, cfg Config) {
	t.Helper()
	segs := tr.Segments()
	if len(segs) < 3 {
		t.Fatalf("only %d segments", len(segs))
	}
	limit := toTicks(cfg.PartTarget, tr.Init().Info.Timescale)
	for i, s := range segs {
		if i > 0 && s.MSN != segs[i-1].MSN+1 {
			t.Fatalf("segment %d follows %d", s.MSN, segs[i-1].MSN)
		}
		data, _ := s.Bytes(0)
		var joined []byte
		for j, p := range s.Parts() {
			if p.Index != j || !p.Complete {
				t.Fatalf("segment %d part %d: %+v", s.MSN, j, p)
			}
			if p.Duration > limit {
				t.Errorf("segment %d part %d lasts %d ticks, over %d", s.MSN, j, p.Duration, limit)
			}
			if j == 0 && !p.Independent {
				t.Errorf("segment %d does not start independent", s.MSN)
			}
			joined = append(joined, data[p.Offset:p.Offset+p.Size]...)
		}
		if !bytes.Equal(joined, data) {
			t.Fatalf("segment %d is not the concatenation of its parts", s.MSN)
		}
		for _, ch := range s.Chunks(0) {
			if _, ok := PrftTime(data[ch.Offset : ch.Offset+ch.Size]); !ok {
				t.Fatalf("segment %d chunk at %d has no prft", s.MSN, ch.Offset)
			}
		}
	}
}

func TestReconnectContinuesWindow(t *testing.T) {
	c := testClip(t, 4, 30)
	st := NewStream("s", DefaultConfig())
	first := publish(t, st, c, 0)
	first.Close()
	// The encoder restarts its clock from zero, as OBS does on reconnect.
	second := publish(t, st, c, 0)
	if first.Epoch() == second.Epoch() {
		t.Fatal("reconnect reused the epoch")
	}
	st.End()
	for _, tr := range st.Window().Tracks() {
		segs := tr.Segments()
		var disc int
		var lastDTS uint64
		for i, s := range segs {
			if i > 0 && s.MSN != segs[i-1].MSN+1 {
				t.Fatalf("%s: segment %d follows %d", tr.Init().Info.Kind, s.MSN, segs[i-1].MSN)
			}
			if s.Discontinuity {
				disc++
				if s.Init.Epoch != second.Epoch() {
					t.Errorf("discontinuity inside the first publish")
				}
			}
			if i > 0 && s.DTS <= lastDTS {
				t.Errorf("%s: segment %d starts at %d, not after %d", tr.Init().Info.Kind, s.MSN, s.DTS, lastDTS)
			}
			lastDTS = s.DTS
		}
		if disc != 1 {
			t.Errorf("%s: %d discontinuities, want 1", tr.Init().Info.Kind, disc)
		}
		for _, e := range []string{first.Epoch(), second.Epoch()} {
			probe(t, trackBytes(t, tr, e))
		}
	}
}

func TestTimestampJumpMarksDiscontinuity(t *testing.T) {
	c := testClip(t, 4, 30)
	st := NewStream("s", DefaultConfig())
	sess, err := st.Publish(c.tracks)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range c.frames {
		if i >= len(c.frames)/2 {
			f.DTS += time.Hour
			f.PTS += time.Hour
		}
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	st.End()
	for _, tr := range st.Window().Tracks() {
		var disc int
		for _, s := range tr.Segments() {
			if s.Discontinuity {
				disc++
			}
		}
		if disc != 1 {
			t.Errorf("%s: %d discontinuities, want 1", tr.Init().Info.Kind, disc)
		}
		probe(t, trackBytes(t, tr, ""))
	}
}

func TestSecondPublisherRejected(t *testing.T) {
	c := testClip(t, 4, 30)
	st := NewStream("s", DefaultConfig())
	if _, err := st.Publish(c.tracks); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Publish(c.tracks); !errors.Is(err, ErrPublishing) {
		t.Fatalf("second Publish: %v, want ErrPublishing", err)
	}
}

func TestBadInput(t *testing.T) {
	c := testClip(t, 4, 30)
	for _, tc := range []struct {
		name   string
		tracks Tracks
	}{
		{"no tracks", Tracks{}},
		{"empty SPS", Tracks{Video: &VideoConfig{PPS: []byte{1}}}},
		{"garbage SPS", Tracks{Video: &VideoConfig{SPS: []byte{0x67, 0xff, 0xff, 0xff, 0xff}, PPS: []byte{0x68}}}},
		{"garbage ASC", Tracks{Audio: &AudioConfig{ASC: []byte{0xff}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewStream("s", DefaultConfig()).Publish(tc.tracks)
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("got %v, want ErrBadConfig", err)
			}
		})
	}
	st := NewStream("s", DefaultConfig())
	sess, err := st.Publish(Tracks{Video: c.tracks.Video})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Frame{{Kind: Audio, Data: []byte{1}}, {Kind: Video}, {Kind: 9}} {
		if err := sess.WriteFrame(f); !errors.Is(err, ErrBadFrame) {
			t.Errorf("frame %+v: got %v, want ErrBadFrame", f, err)
		}
	}
}

// discontinuities returns the segment numbers that start a discontinuity.
func discontinuities(tr *window.Track) []uint64 {
	var out []uint64
	for _, s := range tr.Segments() {
		if s.Discontinuity {
			out = append(out, s.MSN)
		}
	}
	return out
}

// TestRenditionsAgreeOnDiscontinuities loops a clip the way a broadcaster
// replaying a file does, restarting from the video's length, so the audio
// of each loop starts a little before the previous loop's audio ended. That
// overlap is no discontinuity; a real jump is one, in both tracks at the
// same segment, as HLS renditions require.
func TestRenditionsAgreeOnDiscontinuities(t *testing.T) {
	c := testClip(t, 4, 30)
	videoStart, videoEnd := time.Duration(1<<62), time.Duration(0)
	for _, f := range c.frames {
		if f.Kind == Video {
			videoStart = min(videoStart, f.DTS)
			videoEnd = max(videoEnd, f.DTS+time.Second/30)
		}
	}
	videoLen := videoEnd - videoStart
	for _, tc := range []struct {
		name  string
		jump  time.Duration
		discs int
	}{{"looped with overlapping audio", 0, 0}, {"looped after a jump", time.Hour, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			st := NewStream("loop", DefaultConfig())
			sess, err := st.Publish(c.tracks)
			if err != nil {
				t.Fatal(err)
			}
			for loop := 0; loop < 3; loop++ {
				shift := time.Duration(loop) * videoLen
				if loop == 2 {
					shift += tc.jump
				}
				for _, f := range c.frames {
					f.DTS += shift
					f.PTS += shift
					if err := sess.WriteFrame(f); err != nil {
						t.Fatal(err)
					}
				}
			}
			st.End()
			v, _ := st.Window().Track(videoTrackID, false)
			a, _ := st.Window().Track(audioTrackID, false)
			vd, ad := discontinuities(v), discontinuities(a)
			if len(vd) != tc.discs || !slices.Equal(vd, ad) {
				t.Fatalf("discontinuities: video %v, audio %v; want %d at the same segments", vd, ad, tc.discs)
			}
			probe(t, trackBytes(t, a, ""))
		})
	}
}
