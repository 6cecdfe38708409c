package window

import (
	"errors"
	"testing"
)

var nameCases = []struct {
	name string
	in   string
	want ObjectName
	ok   bool
}{
	{"init", "video-abc234-init.mp4", ObjectName{Type: ObjInit, Kind: "video", Epoch: "abc234"}, true},
	{"segment", "audio-q7-0.m4s", ObjectName{Type: ObjSegment, Kind: "audio", Epoch: "q7"}, true},
	{"segment big", "video-zzzzzzzzzzzzzzzz-18446744073709551615.m4s", ObjectName{Type: ObjSegment, Kind: "video", Epoch: "zzzzzzzzzzzzzzzz", MSN: 1<<64 - 1}, true},
	{"part", "video-ab-12.3.m4s", ObjectName{Type: ObjPart, Kind: "video", Epoch: "ab", MSN: 12, Part: 3}, true},
	{"part zero", "audio-ab-0.0.m4s", ObjectName{Type: ObjPart, Kind: "audio", Epoch: "ab"}, true},
	{"part max", "audio-ab-1.999999.m4s", ObjectName{Type: ObjPart, Kind: "audio", Epoch: "ab", MSN: 1, Part: 999999}, true},
	{"empty", "", ObjectName{}, false},
	{"unknown kind", "text-ab-1.m4s", ObjectName{}, false},
	{"upper kind", "Video-ab-1.m4s", ObjectName{}, false},
	{"no epoch", "video--1.m4s", ObjectName{}, false},
	{"upper epoch", "video-AB-1.m4s", ObjectName{}, false},
	{"epoch digit 8", "video-a8-1.m4s", ObjectName{}, false},
	{"epoch too long", "video-aaaaaaaaaaaaaaaaa-1.m4s", ObjectName{}, false},
	{"leading zero", "video-ab-01.m4s", ObjectName{}, false},
	{"part leading zero", "video-ab-1.01.m4s", ObjectName{}, false},
	{"sign", "video-ab-+1.m4s", ObjectName{}, false},
	{"negative", "video-ab--1.m4s", ObjectName{}, false},
	{"overflow", "video-ab-18446744073709551616.m4s", ObjectName{}, false},
	{"part too long", "video-ab-1.1000000.m4s", ObjectName{}, false},
	{"no number", "video-ab-.m4s", ObjectName{}, false},
	{"no part number", "video-ab-1..m4s", ObjectName{}, false},
	{"three numbers", "video-ab-1.2.3.m4s", ObjectName{}, false},
	{"wrong ext", "video-ab-1.mp4", ObjectName{}, false},
	{"init with number", "video-ab-1-init.mp4", ObjectName{}, false},
	{"init m4s", "video-ab-init.m4s", ObjectName{}, false},
	{"trailing", "video-ab-1.m4s?x", ObjectName{}, false},
	{"path", "video-ab-1.m4s/", ObjectName{}, false},
	{"playlist", "video.m3u8", ObjectName{}, false},
}

func TestParseObjectName(t *testing.T) {
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseObjectName(tc.in)
			if !tc.ok {
				if !errors.Is(err, ErrBadName) {
					t.Fatalf("ParseObjectName(%q) = %+v, %v; want ErrBadName", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseObjectName(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Fatalf("String() = %q, want %q", s, tc.in)
			}
		})
	}
}

func TestTrackIDOf(t *testing.T) {
	for _, tc := range []struct {
		kind string
		id   int
		ok   bool
	}{{"video", 1, true}, {"audio", 2, true}, {"text", 0, false}, {"", 0, false}} {
		t.Run(tc.kind, func(t *testing.T) {
			id, ok := TrackIDOf(tc.kind)
			if id != tc.id || ok != tc.ok {
				t.Fatalf("TrackIDOf(%q) = %d, %v", tc.kind, id, ok)
			}
		})
	}
}

func FuzzParseObjectName(f *testing.F) {
	for _, tc := range nameCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseObjectName(s)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("error %v does not wrap ErrBadName", err)
			}
			return
		}
		// A name that parses is canonical: it prints back to itself.
		if got := n.String(); got != s {
			t.Fatalf("ParseObjectName(%q).String() = %q", s, got)
		}
	})
}

func BenchmarkParseObjectName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseObjectName("video-abcdefgh-123456.7.m4s"); err != nil {
			b.Fatal(err)
		}
	}
}
