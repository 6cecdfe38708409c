package packager

import "testing"

func TestSnapRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    uint32
		want uint32
	}{
		{"30 fps exact", 3000, 3000},
		{"30 fps from 33 ms", 2970, 3000},
		{"30 fps averaged", 3001, 3000},
		{"29.97 fps averaged", 3002, 3003},
		{"far from any rate kept", 3300, 3300},
		{"29.97 fps", 3003, 3003},
		{"25 fps", 3600, 3600},
		{"60 fps from 17 ms", 1530, 1500},
		{"24 fps", 3750, 3750},
		{"odd rate kept", 4500, 4500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := snapRate(tc.d, 90000); got != tc.want {
				t.Errorf("snapRate(%d) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
}

// TestMillisecondTimestampsMakeFullParts feeds 30 fps video whose times
// are rounded to milliseconds, as FLV carries them, and expects every part
// but a segment's last to hold six frames.
func TestMillisecondTimestampsMakeFullParts(t *testing.T) {
	c := testClip(t, 4, 30)
	st := NewStream("ms", DefaultConfig())
	sess, err := st.Publish(Tracks{Video: c.tracks.Video})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.frames {
		if f.Kind != Video {
			continue
		}
		f.DTS = f.DTS.Round(1e6)
		f.PTS = f.PTS.Round(1e6)
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	st.End()
	tr, _ := st.Window().Track(videoTrackID, false)
	for _, s := range tr.Segments()[1:] {
		parts := s.Parts()
		for _, p := range parts[:len(parts)-1] {
			if p.Duration != 18000 {
				t.Errorf("segment %d part %d lasts %d ticks, want 18000", s.MSN, p.Index, p.Duration)
			}
		}
	}
}
