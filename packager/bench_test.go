package packager

import (
	"os"
	"slices"
	"testing"
	"time"
)

// synthetic returns frames of a bitrate-bps stream at 30 fps with AAC audio,
// using the sample's real codec configuration and payloads of the right size.
// The packager does not read NAL unit contents, so sizes are what matter.
func synthetic(tb testing.TB, bitrate int, seconds int) (Tracks, []Frame) {
	tb.Helper()
	data, err := os.ReadFile("../testdata/sample.ts")
	if err != nil {
		tb.Fatal(err)
	}
	c := readTS(tb, data)
	perFrame := bitrate / 8 / 30
	key := make([]byte, perFrame*4)
	delta := make([]byte, perFrame*26/29)
	aac := make([]byte, 96000/8*1024/48000)
	var frames []Frame
	start := time.Now()
	audioAt := time.Duration(0)
	for i := 0; i < seconds*30; i++ {
		at := time.Duration(i) * time.Second / 30
		nalu := delta
		if i%30 == 0 {
			nalu = key
		}
		frames = append(frames, Frame{Kind: Video, DTS: at, PTS: at, Keyframe: i%30 == 0,
			NALUs: [][]byte{nalu}, Received: start.Add(at)})
		for audioAt <= at {
			frames = append(frames, Frame{Kind: Audio, DTS: audioAt, PTS: audioAt, Data: aac, Received: start.Add(audioAt)})
			audioAt += 1024 * time.Second / 48000
		}
	}
	return c.tracks, frames
}

// BenchmarkPackager measures the cost of packaging a 5 Mbps, 30 fps stream
// with 48 kHz AAC audio, one frame per chunk. streams/core is how many such
// streams one core could package in real time.
func BenchmarkPackager(b *testing.B) {
	for _, chunkFrames := range []int{1, 0} {
		name := "per-frame-chunks"
		if chunkFrames == 0 {
			name = "per-part-chunks"
		}
		b.Run(name, func(b *testing.B) {
			tracks, frames := synthetic(b, 5_000_000, 10)
			cfg := DefaultConfig()
			cfg.ChunkFrames = chunkFrames
			var bytes int64
			for _, f := range frames {
				bytes += int64(len(f.Data))
				for _, n := range f.NALUs {
					bytes += int64(len(n))
				}
			}
			b.SetBytes(bytes / int64(len(frames)))
			b.ReportAllocs()
			st := NewStream("bench", cfg)
			sess, err := st.Publish(tracks)
			if err != nil {
				b.Fatal(err)
			}
			span := frames[len(frames)-1].DTS + time.Second/30
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := frames[i%len(frames)]
				loop := time.Duration(i/len(frames)) * span
				f.DTS += loop
				f.PTS += loop
				if err := sess.WriteFrame(f); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			perSec := float64(b.N) / b.Elapsed().Seconds()
			framesPerStreamSec := float64(len(frames)) / span.Seconds()
			b.ReportMetric(perSec, "frames/s")
			b.ReportMetric(perSec/framesPerStreamSec, "streams/core")
		})
	}
}

// BenchmarkFrameToChunk measures, in per-frame chunk mode, the time from
// handing a frame to the packager to its chunk being readable in the window.
func BenchmarkFrameToChunk(b *testing.B) {
	tracks, frames := synthetic(b, 5_000_000, 10)
	st := NewStream("bench", DefaultConfig())
	sess, err := st.Publish(tracks)
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	span := frames[len(frames)-1].DTS + time.Second/30
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := frames[i%len(frames)]
		loop := time.Duration(i/len(frames)) * span
		f.DTS += loop
		f.PTS += loop
		t0 := time.Now()
		if err := sess.WriteFrame(f); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}

// TestRAMPerStream checks that a full window holds at most 1.2 × window ×
// bitrate bytes, the bound the issue sets.
func TestRAMPerStream(t *testing.T) {
	const bitrate = 5_000_000
	tracks, frames := synthetic(t, bitrate, 45)
	cfg := DefaultConfig()
	st := NewStream("ram", cfg)
	sess, err := st.Publish(tracks)
	if err != nil {
		t.Fatal(err)
	}
	var media int64
	for _, f := range frames {
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
		media += int64(len(f.Data))
		for _, n := range f.NALUs {
			media += int64(len(n))
		}
	}
	rate := float64(media) / (float64(len(frames)) / 76.875) // bytes/s: 30 video + 46.875 audio frames a second
	held := float64(st.Window().Bytes())
	ratio := held / (cfg.Window.Seconds() * rate)
	t.Logf("held %.1f MB for a %v window of %.2f Mbps: %.3f × window × bitrate", held/1e6, cfg.Window, rate*8/1e6, ratio)
	if ratio > 1.2 {
		t.Fatalf("window holds %.3f × window × bitrate, over 1.2", ratio)
	}
}
