package cdn

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/packager"
)

// sample is the repository's testdata/sample.ts as a publisher would hand
// it to the packager: the tracks it announces and its frames in order.
type sample struct {
	tracks packager.Tracks
	frames []packager.Frame
}

var (
	sampleOnce sync.Once
	sampleClip *sample
	sampleErr  error
)

// loadSample demuxes testdata/sample.ts once for all tests.
func loadSample(t testing.TB) *sample {
	t.Helper()
	sampleOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "sample.ts"))
		if err != nil {
			sampleErr = err
			return
		}
		sampleClip, sampleErr = demuxTS(data)
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleClip
}

func demuxTS(data []byte) (*sample, error) {
	m, err := push.ParseTS(data)
	if err != nil {
		return nil, err
	}
	return &sample{tracks: m.Tracks, frames: m.Stamped(time.Now())}, nil
}
