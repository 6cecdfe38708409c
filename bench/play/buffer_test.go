package play

import (
	"testing"
	"time"
)

// TestBufferStalls drives the playback model with a fake clock: each step
// happens at a given millisecond and either adds media or just looks.
func TestBufferStalls(t *testing.T) {
	type step struct {
		at    int // ms since the start
		add   int // ms of media added to track 0; 0 only looks
		flush bool
	}
	t0 := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name        string
		startAfter  int
		steps       []step
		end         int
		wantStarted int // ms; -1 for never
		wantStalls  int
		wantStalled int // ms
		wantWatched int // ms
	}{
		{
			name:       "steady supply never stalls",
			startAfter: 500,
			steps:      []step{{0, 200, false}, {200, 200, false}, {400, 200, false}, {600, 200, false}, {800, 200, false}, {1000, 200, false}},
			end:        1100, wantStarted: 400, wantStalls: 0, wantStalled: 0, wantWatched: 700,
		},
		{
			name:       "never enough to start",
			startAfter: 500,
			steps:      []step{{0, 200, false}, {300, 200, false}},
			end:        2000, wantStarted: -1,
		},
		{
			// Starts at 100 with 600 ms buffered, runs dry at 700, and has
			// 500 ms again at 1500: one stall of 800 ms.
			name:       "one stall, resumed",
			startAfter: 500,
			steps:      []step{{0, 300, false}, {100, 300, false}, {1000, 300, false}, {1500, 200, false}},
			end:        1600, wantStarted: 100, wantStalls: 1, wantStalled: 800, wantWatched: 1500,
		},
		{
			// Runs dry at 600 and is still stalled at the end: the open
			// stall counts up to the end.
			name:       "stall still going at the end",
			startAfter: 500,
			steps:      []step{{0, 600, false}, {300, 0, false}},
			end:        2000, wantStarted: 0, wantStalls: 1, wantStalled: 1400, wantWatched: 2000,
		},
		{
			// A flush while playing empties the buffer at once: a stall
			// from 200 until 1000, when 500 ms are buffered again.
			name:       "flush stalls",
			startAfter: 500,
			steps:      []step{{0, 1000, false}, {200, 0, true}, {1000, 500, false}},
			end:        1200, wantStarted: 0, wantStalls: 1, wantStalled: 800, wantWatched: 1200,
		},
		{
			// Two stalls: dry at 500 (resumed at 800), dry at 1300
			// (resumed at 1500).
			name:       "two stalls",
			startAfter: 500,
			steps:      []step{{0, 500, false}, {800, 500, false}, {1500, 500, false}},
			end:        1600, wantStarted: 0, wantStalls: 2, wantStalled: 500, wantWatched: 1600,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuffer(1, time.Duration(tc.startAfter)*time.Millisecond)
			var stalls []time.Duration
			b.onStall = func(d time.Duration) { stalls = append(stalls, d) }
			for _, s := range tc.steps {
				switch {
				case s.flush:
					b.Flush(at(s.at))
				case s.add > 0:
					b.Add(at(s.at), 0, time.Duration(s.add)*time.Millisecond)
				default:
					b.Playing(at(s.at))
				}
			}
			got := b.Finish(at(tc.end))
			if tc.wantStarted < 0 {
				if !got.Started.IsZero() || got.Watched != 0 {
					t.Fatalf("started %v, watched %v; want never", got.Started, got.Watched)
				}
				return
			}
			if want := at(tc.wantStarted); !got.Started.Equal(want) {
				t.Errorf("started at %v, want %v", got.Started.Sub(t0), want.Sub(t0))
			}
			if got.Stalls != tc.wantStalls {
				t.Errorf("stalls %d, want %d", got.Stalls, tc.wantStalls)
			}
			if want := time.Duration(tc.wantStalled) * time.Millisecond; got.Stalled != want {
				t.Errorf("stalled %v, want %v", got.Stalled, want)
			}
			if want := time.Duration(tc.wantWatched) * time.Millisecond; got.Watched != want {
				t.Errorf("watched %v, want %v", got.Watched, want)
			}
			var sum time.Duration
			for _, d := range stalls {
				sum += d
			}
			if sum != got.Stalled {
				t.Errorf("stall callbacks sum to %v, total %v", sum, got.Stalled)
			}
		})
	}
}

// TestBufferTracks checks that playback waits for every track and that a
// seek skips media without playing it.
func TestBufferTracks(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	b := NewBuffer(2, ms(500))
	b.Add(t0, 0, ms(800))
	if b.Playing(t0) {
		t.Fatal("playing with no audio buffered")
	}
	b.Add(t0.Add(ms(100)), 1, ms(600))
	if !b.Playing(t0.Add(ms(100))) {
		t.Fatal("not playing with both tracks buffered")
	}
	if lv := b.Level(t0.Add(ms(300))); lv != ms(400) {
		t.Fatalf("level %v at 300 ms, want 400ms (audio's 600 less 200 played)", lv)
	}

	s := NewBuffer(1, ms(500))
	s.Seek(t0, 0, ms(300))
	ahead := s.Add(t0, 0, ms(700))
	if ahead != ms(-300) {
		t.Fatalf("media starts %v ahead of the playhead, want -300ms", ahead)
	}
	if s.Playing(t0) {
		t.Fatal("playing with 400 ms past the seek point, start needs 500")
	}
	s.Add(t0, 0, ms(100))
	if !s.Playing(t0) || s.Level(t0) != ms(500) {
		t.Fatalf("playing %v level %v, want playing with 500ms", s.Playing(t0), s.Level(t0))
	}
}
