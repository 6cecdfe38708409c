package packagertest

import (
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
)

// Clip is the sample as a publisher hands it to the packager: the tracks
// it announces and its frames in order.
type Clip struct {
	Tracks packager.Tracks
	Frames []packager.Frame
}

// Live returns the sample stamped as if its frames arrive from now on.
func Live(tb testing.TB) *Clip {
	tb.Helper()
	m := Sample(tb)
	return &Clip{Tracks: m.Tracks, Frames: m.Stamped(time.Now())}
}
