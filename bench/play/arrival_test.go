package play

import (
	"slices"
	"testing"
	"time"
)

func TestArrivalTimes(t *testing.T) {
	tests := []struct {
		name    string
		p       Pattern
		n       int
		over    time.Duration
		check   time.Duration // by this offset…
		atLeast float64       // …at least this share has arrived
		atMost  float64       // …and at most this one
	}{
		{"all at once", AllAtOnce, 100, 10 * time.Second, 0, 1, 1},
		{"ramp is even", Ramp, 1000, 10 * time.Second, 5 * time.Second, 0.49, 0.51},
		// The flash crowd's rate peaks at 2 s of 10; by then 27.5 % have
		// arrived, by 5 s 74.3 %.
		{"flash crowd front-loaded", Flash, 10000, 10 * time.Second, 2 * time.Second, 0.27, 0.28},
		{"flash crowd by half-time", Flash, 10000, 10 * time.Second, 5 * time.Second, 0.74, 0.75},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := arrivalTimes(tc.p, tc.n, tc.over)
			if !slices.IsSorted(at) {
				t.Fatal("arrivals out of order")
			}
			if at[len(at)-1] > tc.over {
				t.Fatalf("last arrival %v after %v", at[len(at)-1], tc.over)
			}
			arrived := 0
			for _, a := range at {
				if a <= tc.check {
					arrived++
				}
			}
			share := float64(arrived) / float64(tc.n)
			if share < tc.atLeast || share > tc.atMost {
				t.Fatalf("%.3f arrived by %v, want %.2f..%.2f", share, tc.check, tc.atLeast, tc.atMost)
			}
		})
	}
}

func TestSpecs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URLs = []string{"http://u/live/{stream}/index.m3u8"}
	cfg.Streams = []string{"a", "b"}
	cfg.Viewers = 1000
	cfg.Mix = []Share{{LLHLS, 8}, {DASH, 1}, {Segments, 1}}
	a, b := specs(cfg), specs(cfg)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave two orders")
	}
	cfg.Seed = 2
	if slices.Equal(a, specs(cfg)) {
		t.Fatal("another seed gave the same order")
	}
	count := map[viewerSpec]int{}
	for _, s := range a {
		count[viewerSpec{proto: s.proto, stream: s.stream}]++
		if s.proto == DASH && s.url != "http://u/live/"+s.stream+"/manifest.mpd" {
			t.Fatalf("DASH viewer starts at %s", s.url)
		}
	}
	// The mix is exact overall and within one viewer per stream.
	for _, st := range []string{"a", "b"} {
		if n := count[viewerSpec{proto: LLHLS, stream: st}]; n < 399 || n > 401 {
			t.Errorf("stream %s has %d LL-HLS viewers, want 400±1", st, n)
		}
		if n := count[viewerSpec{proto: DASH, stream: st}]; n != 50 {
			t.Errorf("stream %s has %d DASH viewers, want 50", st, n)
		}
	}
	if n := count[viewerSpec{proto: LLHLS, stream: "a"}] + count[viewerSpec{proto: LLHLS, stream: "b"}]; n != 800 {
		t.Errorf("%d LL-HLS viewers, want 800", n)
	}
}

func TestExpandStreams(t *testing.T) {
	got, err := ExpandStreams("bench{0..2},x")
	if err != nil || !slices.Equal(got, []string{"bench0", "bench1", "bench2", "x"}) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ExpandStreams("a{3..1}"); err == nil {
		t.Fatal("a backwards range was accepted")
	}
}
