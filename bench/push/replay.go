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
// arrives at the ingest as an encoder would send it.
func replay(ctx context.Context, m *Media, loops int, w frameWriter) error {
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for loop := 0; loops == 0 || loop < loops; loop++ {
		offset := time.Duration(loop) * m.Duration
		for _, f := range m.Frames {
			f.DTS += offset
			f.PTS += offset
			if wait := time.Until(start.Add(f.DTS)); wait > time.Millisecond {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			} else if err := ctx.Err(); err != nil {
				return err
			}
			if err := w(f); err != nil {
				return err
			}
		}
	}
	return nil
}
