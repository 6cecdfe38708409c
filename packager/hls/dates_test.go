package hls

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// TestProgramDatesFollowDurations dates the first segments two seconds
// late, as when an ingest library holds back the start of a stream and
// then releases it in a burst, and checks that every segment's
// PROGRAM-DATE-TIME is its predecessor's plus the predecessor's EXTINF.
func TestProgramDatesFollowDurations(t *testing.T) {
	rec := packagertest.Recorded(t, 1)
	st := window.NewStream("live", rec.Config)
	for _, ev := range rec.Events {
		meta := ev.Meta
		if meta.MSN < 3 {
			meta.Wallclock = meta.Wallclock.Add(2 * time.Second)
		}
		tr, _ := st.Track(ev.Track, true)
		if ev.Init != nil {
			tr.SetInit(ev.Init)
		}
		if err := tr.Append(meta, ev.Data); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []string{"video", "audio"} {
		body := string(NewRenderer().Media(st, track(t, st, kind), Request{MSN: -1, Part: -1}))
		var prev time.Time
		var prevDur time.Duration
		for _, line := range strings.Split(body, "\n") {
			switch {
			case strings.HasPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"):
				d, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"))
				if err != nil {
					t.Fatal(err)
				}
				if !prev.IsZero() {
					if gap := d.Sub(prev) - prevDur; gap < -2*time.Millisecond || gap > 2*time.Millisecond {
						t.Fatalf("%s: date %v is %v off its predecessor's date plus duration", kind, d, gap)
					}
				}
				prev = d
			case strings.HasPrefix(line, "#EXTINF:"):
				sec, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(line, "#EXTINF:"), ","), 64)
				if err != nil {
					t.Fatal(err)
				}
				prevDur = time.Duration(sec * float64(time.Second))
			}
		}
	}
}
