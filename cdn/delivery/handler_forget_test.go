package delivery

import (
	"testing"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/packager/window"
)

// TestForgetsRemovedStreams checks that a stream removed from the set the
// handler serves leaves its per-stream state too.
func TestForgetsRemovedStreams(t *testing.T) {
	streams := window.NewStreams()
	h := New(Config{Streams: streams}, zerolog.Nop())
	defer h.Close()
	st := window.NewStream("s", window.Config{})
	streams.Add(st)
	h.memos.state(st)
	if _, ok := h.memos.m.Load(st); !ok {
		t.Fatal("no state for the stream")
	}
	streams.Remove("s")
	if _, ok := h.memos.m.Load(st); ok {
		t.Error("state kept for a removed stream")
	}
}
