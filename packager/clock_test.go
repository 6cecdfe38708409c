package packager

import (
	"testing"
	"time"
)

func TestWallClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	steps := []struct {
		name     string
		received time.Time
		at       time.Duration
		want     time.Time
	}{
		{"first frame sets the base", t0.Add(ms(2000)), 0, t0.Add(ms(2000))},
		{"a frame that arrives late moves it only by the creep", t0.Add(ms(2300)), ms(100), t0.Add(ms(2100) + ms(100)>>creepShift)},
		{"a frame that arrives early pulls it back", t0.Add(ms(2150)), ms(200), t0.Add(ms(2150))},
		{"the base creeps by at most 1/1024 of media elapsed", t0.Add(ms(3500)), ms(1224), t0.Add(ms(1950 + 1224 + 1))},
	}
	var c wallClock
	for _, s := range steps {
		if got := c.at(s.received, s.at); !got.Equal(s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, got.Sub(t0), s.want.Sub(t0))
		}
	}
}
