package feed

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// BenchmarkFeed measures the feed of the whole sample (ten seconds, both
// tracks, one frame per chunk): encoding it, decoding and applying it to an
// empty window, and both ends joined by a pipe as over a socket.
func BenchmarkFeed(b *testing.B) {
	src := origin(b, packager.DefaultConfig(), 1, true).Window()
	full := feedOf(b, src, Position{})
	chunks := 0
	for _, tr := range src.Tracks() {
		for _, s := range tr.Segments() {
			chunks += len(s.Chunks(0))
		}
	}
	perChunk := func(b *testing.B, run func()) {
		b.SetBytes(int64(len(full)))
		b.ReportAllocs()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.ResetTimer()
		for b.Loop() {
			run()
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(chunks), "allocs/chunk")
	}
	b.Run("write", func(b *testing.B) {
		var buf bytes.Buffer
		buf.Grow(len(full))
		perChunk(b, func() {
			buf.Reset()
			if err := NewWriter(&buf, src, WriterOptions{}).Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("read", func(b *testing.B) {
		perChunk(b, func() {
			if err := NewReader(bytes.NewReader(full)).Apply(window.NewStream("s", src.Config())); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("pipe", func(b *testing.B) {
		perChunk(b, func() {
			pr, pw := io.Pipe()
			go func() {
				pw.CloseWithError(NewWriter(pw, src, WriterOptions{}).Run(context.Background()))
			}()
			if err := NewReader(pr).Apply(window.NewStream("s", src.Config())); err != nil {
				b.Fatal(err)
			}
		})
	})
}
