package hls

import (
	"strings"
	"testing"

	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// baseWall is the ingest wall clock of the sample's first frame, fixed so
// that playlists are byte-for-byte reproducible.
var baseWall = packagertest.Wall

// endSegments completes every track's newest segment, as when the
// publisher leaves without ending the stream.
func endSegments(st *window.Stream) *window.Stream {
	for _, tr := range st.Tracks() {
		tr.EndSegment()
	}
	return st
}

func track(t testing.TB, st *window.Stream, kind string) *window.Track {
	t.Helper()
	id, _ := window.TrackIDOf(kind)
	tr, ok := st.Track(id, false)
	if !ok {
		t.Fatalf("no %s track", kind)
	}
	return tr
}

func splitLines(b []byte) []string { return strings.Split(string(b), "\n") }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
