package push

import (
	"context"
	"time"

	"github.com/livetree/livetree/packager"
)

// frameWriter sends one frame whose times already include the loop offset.
type frameWriter func(f packager.Frame) error

// replay sends m's frames in real time, loop after loop with continuous
// timestamps, until ctx ends, loops are done (0 means forever) or w fails.
// Each frame leaves when the wall clock reaches its DTS, so the stream
// arrives at the ingest as an encoder would send it; st learns how far
// behind that schedule each frame actually left.
func replay(ctx context.Context, m *Media, loops int, st *Stats, w frameWriter) error {
	start := time.Now()
	// sched is the latest instant the replay has waited for. Frames are
	// sent in file order, where a muxer may put audio a little behind the
	// video it accompanies; such a frame is due at once, not late.
	var sched time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for loop := 0; loops == 0 || loop < loops; loop++ {
		offset := time.Duration(loop) * m.Duration
		for _, f := range m.Frames {
			f.DTS += offset
			f.PTS += offset
			due := start.Add(f.DTS)
			if due.After(sched) {
				sched = due
			}
			if wait := time.Until(due); wait > time.Millisecond {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			} else if err := ctx.Err(); err != nil {
				return err
			}
			st.behind(time.Since(sched))
			if err := w(f); err != nil {
				return err
			}
		}
	}
	return nil
}
