package hls

import (
	"fmt"

	"github.com/livetree/livetree/packager/window"
)

// Check tells whether a blocking playlist request can be answered now.
//
// It is ready when the stream has ended (directives are then ignored), when
// there is no directive, when the requested segment or part is already in
// the playlist or older (an old msn gets the whole current playlist), or
// when it has just appeared. A part index past the end of a complete
// segment means part 0 of the next segment. It returns an error wrapping
// ErrTooFar, at once, when _HLS_msn is more than two past the playlist's
// last (complete) segment.
//
// Otherwise it reports not ready, and the caller waits on the stream's
// Changed channel and asks again.
func Check(tr *window.Track, ended bool, r Request) (bool, error) {
	if ended || r.MSN < 0 {
		return true, nil
	}
	last, ok := tr.Last()
	if !ok {
		return false, nil // nothing published yet: nothing to measure msn against
	}
	lastMSN := int64(last.MSN)
	// Complete is read before Parts so that a complete segment's parts are
	// final; parts read later are never fewer.
	complete := last.Complete()
	parts := last.Parts()
	// lastFull is the playlist's last full segment: an open segment shows
	// only as parts.
	lastFull := lastMSN
	if !complete {
		lastFull--
	}
	if r.MSN > lastFull+2 {
		return false, fmt.Errorf("%w: _HLS_msn=%d, last segment %d", ErrTooFar, r.MSN, lastFull)
	}
	if r.Part < 0 {
		return r.MSN <= lastFull, nil
	}
	msn, part := r.MSN, r.Part
	if msn <= lastFull {
		seg, ok := tr.Segment(uint64(msn))
		if !ok {
			return true, nil // evicted: older than anything we hold
		}
		// A complete segment has all its parts: the part is there, or the
		// index runs past the end and means part 0 of the next segment.
		if part < int64(len(seg.Parts())) {
			return true, nil
		}
		msn, part = msn+1, 0
	}
	if msn < lastMSN {
		return true, nil
	}
	if msn > lastMSN || complete {
		return false, nil
	}
	// msn is the open segment: the part must be complete. The newest part
	// is the only one that may still be open.
	n := int64(len(parts))
	return part < n-1 || (part == n-1 && parts[n-1].Complete), nil
}
