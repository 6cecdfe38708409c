package feed

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/fuzzseed"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus from testdata/sample.ts")

// shortFeed returns the feed of the sample's first frames, packaged with
// parts of 100 ms so that a small feed holds several parts and segments.
func shortFeed(t testing.TB, frames int) []byte {
	t.Helper()
	c := packagertest.Live(t)
	cfg := packager.DefaultConfig()
	cfg.PartTarget = 100 * time.Millisecond
	cfg.SegmentTarget = 500 * time.Millisecond
	cfg.Window = 2 * time.Second
	st := packager.NewStream("s", cfg)
	sess, err := st.Publish(c.Tracks)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Frames[:frames] {
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	st.End()
	return feedOf(t, st.Window(), Position{})
}

// TestFuzzCorpus writes the seed corpus of FuzzReader with -update. Each
// entry is real feed bytes; the comment of each says what it covers.
func TestFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzReader")
	}
	full := shortFeed(t, 20)
	seeds := map[string][]byte{
		"seed-whole":        full,               // header, inits, chunks, segment ends, end
		"seed-truncated":    full[:len(full)/2], // a parent that died mid-frame
		"seed-header-only":  full[:headerSize],
		"seed-bad-version":  append(append([]byte(Magic), 2), full[5:headerSize]...),
		"seed-heartbeat":    append(append([]byte(nil), full[:headerSize]...), byte(FrameHeartbeat), 0, 0, 0, 0),
		"seed-lying-length": append(append([]byte(nil), full[:headerSize]...), byte(FrameChunk), 0, 0xff, 0, 0, 1),
	}
	for name, b := range seeds {
		fuzzseed.Write(t, "FuzzReader", name, b)
	}
}

// FuzzReader feeds arbitrary bytes to a Reader. It must never panic, and a
// window it builds from a feed that ends cleanly must survive a round trip
// through a Writer unchanged.
func FuzzReader(f *testing.F) {
	f.Add(shortFeed(f, 12))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := window.Config{SegmentTarget: time.Second, PartTarget: 200 * time.Millisecond, Span: 5 * time.Second}
		dst := window.NewStream("s", cfg)
		if err := NewReader(bytes.NewReader(in)).Apply(dst); err != nil {
			return
		}
		again := window.NewStream("s", dst.Config())
		if err := NewReader(bytes.NewReader(feedOf(t, dst, Position{}))).Apply(again); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		for _, tr := range dst.Tracks() {
			tr2, ok := again.Track(tr.ID(), false)
			if !ok {
				if len(tr.Segments()) > 0 {
					t.Fatalf("round trip lost track %d", tr.ID())
				}
				continue
			}
			for _, s := range tr.Segments() {
				s2, ok := tr2.Segment(s.MSN)
				if !ok {
					t.Fatalf("round trip lost segment %d", s.MSN)
				}
				a, _ := s.Bytes(0)
				b, _ := s2.Bytes(0)
				if !bytes.Equal(a, b) {
					t.Fatalf("round trip changed segment %d", s.MSN)
				}
			}
		}
	})
}
