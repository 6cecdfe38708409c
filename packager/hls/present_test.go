package hls

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// box returns an ISO BMFF box of type typ around body.
func box(typ string, body ...[]byte) []byte {
	n := 8
	for _, b := range body {
		n += len(b)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	out = append(out, typ...)
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

// trun returns a trun body with one sample carrying the given fields.
func trun(version byte, flags uint32, fields ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(version)<<24|flags)
	b = binary.BigEndian.AppendUint32(b, 1)
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, f)
	}
	return b
}

var ctoCases = []struct {
	name string
	data []byte
	cto  int32
	ok   bool
}{
	{"prft-moof-cto", append(box("prft", make([]byte, 24)), box("moof", box("mfhd", make([]byte, 8)),
		box("traf", box("tfhd", make([]byte, 8)), box("trun", trun(1, 0xf01, 36, 100, 200, 0, 6000))))...), 6000, true},
	{"negative-v1", box("moof", box("traf", box("trun", trun(1, 0x800, 0xffffff00)))), -256, true},
	{"no-cto-field", box("moof", box("traf", box("trun", trun(0, 0x301, 8, 1024, 300)))), 0, true},
	{"v0-huge", box("moof", box("traf", box("trun", trun(0, 0x800, 0x80000000)))), 0, false},
	{"truncated-trun", box("moof", box("traf", box("trun", trun(1, 0xf01, 36)))), 0, false},
	{"no-moof", box("mdat", []byte{1, 2, 3}), 0, false},
	{"bad-size", []byte{0, 0, 0, 200, 'm', 'o', 'o', 'f'}, 0, false},
	{"empty", nil, 0, false},
}

func TestFirstCompositionOffset(t *testing.T) {
	for _, tc := range ctoCases {
		t.Run(tc.name, func(t *testing.T) {
			cto, ok := firstCompositionOffset(tc.data, 0)
			if cto != tc.cto || ok != tc.ok {
				t.Fatalf("got %d, %v; want %d, %v", cto, ok, tc.cto, tc.ok)
			}
		})
	}
}

func FuzzFirstCompositionOffset(f *testing.F) {
	for _, tc := range ctoCases {
		f.Add(tc.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		firstCompositionOffset(data, 0)
	})
}

// TestProgramDatesPresentation checks that video and audio segments of
// the same number are dated as their media says: the sample has B-frames,
// so a video segment's first picture is presented two frames after its
// keyframe is decoded, and the dates must differ by what the first
// presentation times differ by.
func TestProgramDatesPresentation(t *testing.T) {
	st := stateNamed(t, "live")
	video, audio := track(t, st, "video"), track(t, st, "audio")
	lead, ok := presentationLead(video.Segments()[0])
	if d := lead - 66667*time.Microsecond; !ok || d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("video presentation lead = %v, %v; want two frames at 30 fps", lead, ok)
	}
	r := NewRenderer()
	vDates := datesByURI(t, r.Media(st, video, Request{MSN: -1, Part: -1}))
	aDates := datesByURI(t, r.Media(st, audio, Request{MSN: -1, Part: -1}))
	checked := 0
	for _, vs := range video.Segments() {
		as, ok := audio.Segment(vs.MSN)
		if !ok || !vs.Complete() || !as.Complete() {
			continue
		}
		vd, aok := vDates[vs.MSN]
		ad, bok := aDates[vs.MSN]
		if !aok || !bok {
			continue
		}
		vPTS := time.Duration(vs.DTS)*time.Second/time.Duration(vs.Init.Info.Timescale) + lead
		aPTS := time.Duration(as.DTS) * time.Second / time.Duration(as.Init.Info.Timescale)
		if d := ad.Sub(vd) - (aPTS - vPTS); d < -2*time.Millisecond || d > 2*time.Millisecond {
			t.Errorf("segment %d: audio dated %v after video, media says %v", vs.MSN, ad.Sub(vd), aPTS-vPTS)
		}
		checked++
	}
	if checked < 3 {
		t.Fatalf("only %d segments compared", checked)
	}
}

// datesByURI maps each complete segment's number in a media playlist to
// its PROGRAM-DATE-TIME.
func datesByURI(t *testing.T, body []byte) map[uint64]time.Time {
	t.Helper()
	out := make(map[uint64]time.Time)
	var date time.Time
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"); ok {
			d, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t.Fatal(err)
			}
			date = d
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		n, err := window.ParseObjectName(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out[n.MSN] = date
	}
	return out
}
