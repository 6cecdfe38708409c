package packager

import "time"

// wallClock maps a session's stream time to ingest wall-clock time, the
// same way for every track, so that renditions agree: HLS players align
// audio and video playlists by PROGRAM-DATE-TIME, and a track whose frames
// arrive late (AAC packed several frames to a PES, or a library buffering
// the start of a stream) would otherwise drift from the other.
//
// The mapping's base is the earliest arrival seen for a stream time: late
// frames never move it, early ones pull it back. It creeps forward by at
// most one part in a thousand of the media elapsed, to follow an encoder
// whose clock runs slower than ours.
type wallClock struct {
	base   time.Time     // wall-clock time of stream time zero
	set    bool          // base holds a measurement
	lastAt time.Duration // stream time of the last update
}

// creepShift is the log2 of the inverse creep rate: 2^-10 ≈ 1/1000.
const creepShift = 10

// at returns the wall-clock time of the sample at stream time at (its
// decode time), given that its last byte arrived at received. Decode time
// keeps the clock monotonic within a track; a video segment's date is thus
// its keyframe's composition offset (a frame or two) before its picture's.
func (c *wallClock) at(received time.Time, at time.Duration) time.Time {
	if received.IsZero() {
		received = time.Now()
	}
	cur := received.Add(-at)
	switch {
	case !c.set || cur.Before(c.base):
		c.base, c.set = cur, true
	case at > c.lastAt:
		if next := c.base.Add((at - c.lastAt) >> creepShift); next.Before(cur) {
			c.base = next
		} else {
			c.base = cur
		}
	}
	c.lastAt = max(c.lastAt, at)
	return c.base.Add(at)
}
