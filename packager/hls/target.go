package hls

import (
	"time"

	"github.com/livetree/livetree/packager/window"
)

// TargetDuration returns the EXT-X-TARGETDURATION of tr's media playlist:
// the segment target rounded up to whole seconds, raised to the longest
// segment the track ever completed rounded to the nearest second (RFC
// 8216bis 4.4.3.1 compares rounded EXTINF durations with it). Because the
// longest segment only grows, so does the target duration, and a playlist's
// target duration never shrinks.
func TargetDuration(st *window.Stream, tr *window.Track) time.Duration {
	td := max(ceilSeconds(st.Config().SegmentTarget), 1)
	if longest := int64((tr.MaxSegmentDuration() + time.Second/2) / time.Second); longest > td {
		td = longest
	}
	return time.Duration(td) * time.Second
}

// partHoldBack is PART-HOLD-BACK in part targets: the spec demands at least
// two and recommends three.
const partHoldBack = 3

// skipUntil is CAN-SKIP-UNTIL in target durations, the spec's minimum.
const skipUntil = 6

// partWindow is how many target durations from the playlist's end keep
// their parts listed.
const partWindow = 3
