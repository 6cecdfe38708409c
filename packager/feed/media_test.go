package feed

import (
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/packagertest"
)

// sample is the repository's testdata/sample.ts as a publisher would hand
// it to the packager: the tracks it announces and its frames in order.
type sample struct {
	tracks packager.Tracks
	frames []packager.Frame
}

// loadSample returns the sample stamped as if it arrived from now on.
func loadSample(t testing.TB) *sample {
	t.Helper()
	m := packagertest.Sample(t)
	return &sample{tracks: m.Tracks, frames: m.Stamped(time.Now())}
}
