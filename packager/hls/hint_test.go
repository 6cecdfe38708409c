package hls

import (
	"strings"
	"testing"

	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// TestHintAtFullSegment checks that once the open segment has reached the
// target with its last part complete, the hint names part 0 of the next
// segment: the next frame is a keyframe that starts it, so a hint for
// another part of this segment would name an object that never exists.
func TestHintAtFullSegment(t *testing.T) {
	rec := packagertest.Recorded(t, 1)
	var parts int
	st := rec.ReplayUntil(t, func(ev packagertest.Event) bool {
		if ev.Track != 1 || ev.Meta.MSN != 3 || !ev.Meta.EndOfPart {
			return false
		}
		parts++
		return parts == 5 // the sample's 1 s GOP makes five 200 ms parts
	})
	tr := track(t, st, "video")
	seg, _ := tr.Last()
	if seg.MSN != 3 || seg.Complete() {
		t.Fatalf("newest segment %d complete=%v, want 3 open", seg.MSN, seg.Complete())
	}
	body := string(NewRenderer().Media(st, tr, Request{MSN: -1, Part: -1}))
	var hint string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#EXT-X-PRELOAD-HINT") {
			hint = line
		}
	}
	want := window.ObjectName{Type: window.ObjPart, Kind: "video", Epoch: seg.Init.Epoch, MSN: 4, Part: 0}.String()
	if !strings.Contains(hint, `URI="`+want+`"`) {
		t.Fatalf("hint %q, want %s", hint, want)
	}
}
