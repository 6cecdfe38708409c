package packager

import (
	"fmt"
	"time"
)

// Config sets how a stream is cut.
type Config struct {
	// SegmentTarget is the shortest segment: a segment ends at the first
	// keyframe after it.
	SegmentTarget time.Duration
	// PartTarget bounds a part's duration from above.
	PartTarget time.Duration
	// ChunkFrames is the number of frames per CMAF chunk; 0 makes each part
	// a single chunk. One frame per chunk gives the lowest latency.
	ChunkFrames int
	// Window is how much media each stream keeps in RAM.
	Window time.Duration
}

// DefaultConfig returns 1 s segments of 200 ms parts, one frame per chunk,
// and a 30 s window.
func DefaultConfig() Config {
	return Config{
		SegmentTarget: time.Second,
		PartTarget:    200 * time.Millisecond,
		ChunkFrames:   1,
		Window:        30 * time.Second,
	}
}

// Validate reports a configuration the packager cannot honour.
func (c Config) Validate() error {
	switch {
	case c.PartTarget < 10*time.Millisecond:
		return fmt.Errorf("packager: part target %v is under 10ms", c.PartTarget)
	case c.SegmentTarget < c.PartTarget:
		return fmt.Errorf("packager: segment target %v is shorter than part target %v", c.SegmentTarget, c.PartTarget)
	case c.ChunkFrames < 0:
		return fmt.Errorf("packager: chunk frames %d is negative", c.ChunkFrames)
	case c.Window < 3*c.SegmentTarget:
		return fmt.Errorf("packager: window %v holds fewer than 3 segments of %v", c.Window, c.SegmentTarget)
	}
	return nil
}
