package push

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/ingest/ingesttest"
	"github.com/livetree/livetree/internal/tooltest"
)

func TestRun(t *testing.T) {
	m, err := LoadTS("../../testdata/sample.ts")
	if err != nil {
		t.Fatal(err)
	}
	srv := ingesttest.StartOrigin(t)
	tests := []struct {
		name string
		url  string
		n    int
	}{
		{"rtmp", "rtmp://" + srv.RTMPAddr() + "/live/{stream}?key=k", 3},
		{"http", "http://" + srv.Addr() + "/ingest/{stream}?key=k", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultRunConfig()
			cfg.URL, cfg.Streams, cfg.Media = tc.url, tc.n, m
			cfg.Name = tc.name + "%d"
			cfg.Duration, cfg.Spread, cfg.Sample = 3*time.Second, 300*time.Millisecond, 500*time.Millisecond
			cfg.MetricsURL = "http://" + srv.Addr() + "/metrics"
			r, err := NewRunner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 || res.Publishes != int64(tc.n) {
				t.Fatalf("errors %v, %d publishes", res.Errors, res.Publishes)
			}
			// Three seconds of 30 fps video and 47 AAC frames a second per
			// stream, less the stagger.
			if min := int64(tc.n) * 2 * 70; res.Frames < min {
				t.Fatalf("%d frames sent, want at least %d", res.Frames, min)
			}
			// The ingest counts a frame once it is demuxed; the last few may
			// still be in flight, or held by the TS demuxer, at the end.
			if res.IngestErr != nil || res.IngestFrames < res.Frames*9/10 || res.IngestFrames > res.Frames {
				t.Fatalf("ingest counted %d of %d frames (%v)", res.IngestFrames, res.Frames, res.IngestErr)
			}
			// Loose: the machine is shared, and a busy one delays timers.
			if res.MaxBehind > 2*time.Second {
				t.Errorf("a frame left %v behind schedule", res.MaxBehind)
			}
			if len(res.Series) < 4 {
				t.Errorf("%d samples in 3 s at 500 ms", len(res.Series))
			}
			rep := res.Report([]string{"bench", "push"})
			if f, ok := rep.Figure("ingest_frames"); !ok || f.Value != float64(res.IngestFrames) {
				t.Errorf("report lacks the ingest's frame count")
			}
			t.Logf("%d frames, %d late, behind mean %v max %v, ingest %d", res.Frames, res.Late, res.MeanBehind, res.MaxBehind, res.IngestFrames)
		})
	}
}

func TestSumCounter(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int64
		ok   bool
	}{
		{"labelled series", "# HELP x\nlivetree_ingest_frames_total{proto=\"rtmp\"} 120\nlivetree_ingest_frames_total{proto=\"mpegts\"} 30\n", 150, true},
		{"unlabelled", "livetree_ingest_frames_total 7\n", 7, true},
		{"similar name ignored", "livetree_ingest_frames_total_extra 9\nlivetree_ingest_frames_totalx{a=\"b\"} 9\n", 0, false},
		{"float and timestamp", "livetree_ingest_frames_total{proto=\"fmp4\"} 1.5e3 1700000000\n", 1500, true},
		{"garbage value", "livetree_ingest_frames_total{proto=\"x\"} NaN\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := sumCounter(strings.NewReader(tc.body), framesMetric)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("%d %v, want %d %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzSumCounter reads arbitrary /metrics bodies; it must not panic nor
// return a negative count.
func FuzzSumCounter(f *testing.F) {
	f.Add([]byte("livetree_ingest_frames_total{proto=\"rtmp\"} 120\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if n, _ := sumCounter(strings.NewReader(string(body)), framesMetric); n < 0 {
			t.Fatalf("negative count %d", n)
		}
	})
}

// TestMakeTS encodes a short 2.5 Mbit/s clip with ffmpeg and checks its
// payload bitrate.
func TestMakeTS(t *testing.T) {
	tooltest.Need(t, "ffmpeg")
	path, err := MakeTS(context.Background(), t.TempDir(), 2500, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadTS(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bitrate < 2.0e6 || m.Bitrate > 3.0e6 || m.ASC == nil {
		t.Fatalf("clip of %.2f Mbit/s (audio %v), want about 2.5", m.Bitrate/1e6, m.ASC != nil)
	}
}
