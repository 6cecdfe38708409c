package delivery

import (
	"errors"
	"strings"
	"testing"
)

var rangeSeeds = []string{
	"bytes=0-99", "bytes=100-", "bytes=-50", "bytes=0-1,5-6", "bytes=5-2", "items=0-1",
	"bytes=abc", "bytes=-0", "bytes= 3 - 4 ", "bytes=999999999999999999999-", "bytes=-",
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ok       bool
		size     int
		from, to int
		sat      bool
	}{
		{"bytes=0-99", true, 1000, 0, 100, true},
		{"bytes=100-", true, 1000, 100, 1000, true},
		{"bytes=-50", true, 1000, 950, 1000, true},
		{"bytes=-5000", true, 1000, 0, 1000, true},
		{"bytes=10-5000", true, 1000, 10, 1000, true},
		{"bytes=1000-", true, 1000, 0, 0, false},
		{"bytes=-0", true, 1000, 0, 0, false},
		{"bytes= 3 - 4 ", true, 1000, 3, 5, true},
		{"bytes=0-1,5-6", false, 1000, 0, 0, false},
		{"bytes=5-2", false, 1000, 0, 0, false},
		{"items=0-1", false, 1000, 0, 0, false},
		{"bytes=abc", false, 1000, 0, 0, false},
		{"bytes=-", false, 1000, 0, 0, false},
		{"bytes=9999999999999999-", false, 1000, 0, 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, ok := parseRange([]byte(tc.in))
			if ok != tc.ok {
				t.Fatalf("parsed %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			from, to, sat := r.resolve(tc.size)
			if sat != tc.sat || (sat && (from != tc.from || to != tc.to)) {
				t.Fatalf("resolved [%d,%d) %v, want [%d,%d) %v", from, to, sat, tc.from, tc.to, tc.sat)
			}
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range rangeSeeds {
		f.Add(s, 1000)
	}
	f.Fuzz(func(t *testing.T, h string, size int) {
		r, ok := parseRange([]byte(h))
		if !ok || size < 0 {
			return
		}
		from, to, sat := r.resolve(size)
		if sat && (from < 0 || to > size || from >= to) {
			t.Fatalf("%q over %d bytes resolved to [%d,%d)", h, size, from, to)
		}
	})
}

var routeSeeds = []string{
	"/time", "/live/s/index.m3u8", "/live/s/video.m3u8", "/live/s/audio.m3u8", "/live/s/manifest.mpd",
	"/live/s/video-abc234-init.mp4", "/live/s/audio-abc234-12.m4s", "/live/s/video-abc234-12.3.m4s",
	"/live/bad.name/index.m3u8", "/live/s/x/video.m3u8", "/live//index.m3u8", "/live/s/", "/live/s",
	"/live/s/video-abc234-012.m4s", "/elsewhere",
}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		path string
		kind routeKind
		err  error
	}{
		{"/time", routeTime, nil},
		{"/live/s/index.m3u8", routeMultivariant, nil},
		{"/live/A_b-9/video.m3u8", routeMedia, nil},
		{"/live/s/manifest.mpd", routeMPD, nil},
		{"/live/s/video-abc234-init.mp4", routeObject, nil},
		{"/live/s/video-abc234-12.3.m4s", routeObject, nil},
		{"/live/bad.name/index.m3u8", 0, ErrBadStreamName},
		{"/live/" + strings.Repeat("a", 65) + "/index.m3u8", 0, ErrBadStreamName},
		{"/live//index.m3u8", 0, ErrBadStreamName},
		{"/live/s/x/video.m3u8", 0, ErrNotFound},
		{"/live/s/", 0, ErrNotFound},
		{"/live/s", 0, ErrNotFound},
		{"/live/s/video-abc234-012.m4s", 0, ErrNotFound},
		{"/elsewhere", 0, ErrNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r, err := parseRoute([]byte(tc.path), "/time")
			if !errors.Is(err, tc.err) || (err == nil && r.kind != tc.kind) {
				t.Fatalf("got kind %d, %v; want %d, %v", r.kind, err, tc.kind, tc.err)
			}
		})
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range routeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := parseRoute([]byte(path), "/time")
		if err != nil {
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrBadStreamName) {
				t.Fatalf("%q: unexpected error %v", path, err)
			}
			return
		}
		if r.kind == routeTime {
			return
		}
		if !validStreamName([]byte(r.stream)) {
			t.Fatalf("%q: accepted stream %q", path, r.stream)
		}
		if r.kind == routeObject {
			if want := "/live/" + r.stream + "/" + r.obj.String(); want != path {
				t.Fatalf("%q does not round-trip: %q", path, want)
			}
		}
	})
}
