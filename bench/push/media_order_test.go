package push

import (
	"testing"

	"github.com/livetree/livetree/packager"
)

func TestInDecodeOrder(t *testing.T) {
	m := &Media{Frames: []packager.Frame{
		{Kind: packager.Video, DTS: 0},
		{Kind: packager.Video, DTS: 66},
		{Kind: packager.Audio, DTS: 0},
		{Kind: packager.Audio, DTS: 21},
		{Kind: packager.Video, DTS: 33},
	}}
	got := m.InDecodeOrder()
	want := []struct {
		kind packager.Kind
		dts  int
	}{{packager.Video, 0}, {packager.Audio, 0}, {packager.Audio, 21}, {packager.Video, 33}, {packager.Video, 66}}
	for i, w := range want {
		if f := got.Frames[i]; f.Kind != w.kind || int(f.DTS) != w.dts {
			t.Errorf("frame %d: %v at %d, want %v at %d", i, f.Kind, f.DTS, w.kind, w.dts)
		}
	}
	if m.Frames[1].DTS != 66 {
		t.Error("the original media was reordered")
	}
}
