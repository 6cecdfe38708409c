package play

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// packaged cuts three seconds of the sample into a window with the
// packager, stamping frame i as received at wall(i), and returns the
// video track.
func packaged(t testing.TB, wall func(i int) time.Time) *window.Track {
	t.Helper()
	m, err := sampleMedia()
	if err != nil {
		t.Fatal(err)
	}
	st := packager.NewStream("t", packager.DefaultConfig())
	sess, err := st.Publish(m.Tracks)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Frames {
		if f.DTS > 3*time.Second {
			break
		}
		f.Received = wall(i)
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	tr, ok := st.Window().Track(1, false)
	if !ok {
		t.Fatal("no video track")
	}
	return tr
}

// TestScannerReadsChunks feeds every part of a packaged track through the
// scanner in random pieces and checks each chunk's wall clock and
// duration against what the packager wrote.
func TestScannerReadsChunks(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tr := packaged(t, func(i int) time.Time { return t0.Add(time.Duration(i) * 12345 * time.Microsecond) })
	ti, err := parseInit(tr.Init().Data)
	if err != nil {
		t.Fatal(err)
	}
	if ti.timescale != tr.Init().Info.Timescale {
		t.Fatalf("timescale %d, want %d", ti.timescale, tr.Init().Info.Timescale)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, seg := range tr.Segments() {
		data, _ := seg.Bytes(0)
		chunks := seg.Chunks(0)
		var got []scannedChunk
		var sc chunkScanner
		sc.reset(ti.defaultDur, func(c scannedChunk) { got = append(got, c) })
		for rest := data; len(rest) > 0; {
			n := min(1+rng.IntN(700), len(rest))
			if _, err := sc.Write(rest[:n]); err != nil {
				t.Fatalf("segment %d: %v", seg.MSN, err)
			}
			rest = rest[n:]
		}
		if !sc.complete() {
			t.Fatalf("segment %d: scanner stopped inside a box", seg.MSN)
		}
		if len(got) != len(chunks) {
			t.Fatalf("segment %d: %d chunks scanned, %d written", seg.MSN, len(got), len(chunks))
		}
		for i, c := range chunks {
			if d := got[i].Prft.Sub(c.Wallclock); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("segment %d chunk %d: prft %v, want %v", seg.MSN, i, got[i].Prft, c.Wallclock)
			}
			if got[i].Ticks != uint64(c.Duration) {
				t.Errorf("segment %d chunk %d: %d ticks, want %d", seg.MSN, i, got[i].Ticks, c.Duration)
			}
		}
	}
}

// TestLatencyFromPrft checks the latency maths on known prft values: a
// part whose first frame was ingested at W and which arrives whole at
// W+d is d behind live, and the playhead is that plus the media buffered
// ahead of it.
func TestLatencyFromPrft(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	// Frame i is received at t0 + i×33 ms.
	tr := packaged(t, func(i int) time.Time { return t0.Add(time.Duration(i) * 33 * time.Millisecond) })
	ti, err := parseInit(tr.Init().Data)
	if err != nil {
		t.Fatal(err)
	}
	seg := tr.Segments()[1]
	data, _ := seg.Bytes(0)
	tests := []struct {
		name     string
		part     int
		arrive   time.Duration // after the part's first frame was ingested
		buffered time.Duration // media already in the buffer
	}{
		{"part 0, 180 ms later", 0, 180 * time.Millisecond, time.Second},
		{"part 2, 1.5 s later", 2, 1500 * time.Millisecond, time.Second},
		{"part 4, at once", 4, 0, 600 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(testConfig("http://127.0.0.1:1/live/{stream}/index.m3u8", 1, time.Second))
			if err != nil {
				t.Fatal(err)
			}
			v := &viewer{r: r}
			v.newBuffer(1)
			mt := newMediaTrack(v, nil, 0, "/")
			mt.init, mt.live = ti, true
			p, _ := seg.Part(tc.part)
			first := seg.Chunks(0)
			var wall time.Time
			for _, c := range first {
				if c.Part == tc.part {
					wall = c.Wallclock
					break
				}
			}
			now := wall.Add(tc.arrive)
			v.buf.Add(now.Add(-time.Millisecond), 0, tc.buffered) // starts playback
			mt.unitPrft, mt.unitTicks = time.Time{}, 0
			mt.sc.reset(ti.defaultDur, mt.onChunk)
			if _, err := mt.Write(data[p.Offset : p.Offset+p.Size]); err != nil {
				t.Fatal(err)
			}
			if mt.unitPrft.Sub(wall).Abs() > time.Microsecond {
				t.Fatalf("part's prft %v, want %v", mt.unitPrft, wall)
			}
			mt.received(now, mt.unitPrft, mt.unitTicks)
			lat := r.stats.latency.Snapshot()
			if lat.Count() != 1 {
				t.Fatalf("%d latency samples, want 1", lat.Count())
			}
			assertNear(t, "latency", lat.Quantile(0.5), tc.arrive)
			// The playhead has played 1 ms of what was buffered.
			assertNear(t, "playhead latency", r.stats.playback.Snapshot().Quantile(0.5), tc.arrive+tc.buffered-time.Millisecond)
			if got, want := mt.duration(mt.unitTicks), time.Duration(p.Duration)*time.Second/time.Duration(ti.timescale); got != want {
				t.Errorf("part duration %v, want %v", got, want)
			}
		})
	}
}

// assertNear allows for the histogram's bucket width (about 6 %).
func assertNear(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	tol := want/16 + 20*time.Microsecond
	if d := got - want; d < -tol || d > tol {
		t.Errorf("%s %v, want %v", what, got, want)
	}
}

// TestScannerRejects checks that malformed bodies fail or stay
// incomplete rather than report chunks.
func TestScannerRejects(t *testing.T) {
	tests := []struct {
		name     string
		body     []byte
		wantErr  bool
		complete bool
	}{
		{"size below header", []byte{0, 0, 0, 4, 'm', 'o', 'o', 'f'}, true, false},
		{"huge moof", []byte{0x7f, 0, 0, 0, 'm', 'o', 'o', 'f'}, true, false},
		{"cut inside mdat", []byte{0, 0, 0, 16, 'm', 'd', 'a', 't', 1, 2}, false, false},
		{"bad trun", []byte{0, 0, 0, 24, 'm', 'o', 'o', 'f', 0, 0, 0, 16, 't', 'r', 'a', 'f', 0, 0, 0, 8, 't', 'r', 'u', 'n'}, true, false},
		{"empty boxes", []byte{0, 0, 0, 8, 'f', 'r', 'e', 'e', 0, 0, 0, 8, 'm', 'd', 'a', 't'}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sc chunkScanner
			sc.reset(0, nil)
			_, err := sc.Write(tc.body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if sc.complete() != tc.complete {
				t.Fatalf("complete %v, want %v", sc.complete(), tc.complete)
			}
		})
	}
}

// FuzzChunkScanner feeds arbitrary bodies, split at an arbitrary point,
// to the scanner: it must not panic, and the split must not change what
// it reports.
func FuzzChunkScanner(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 'm', 'd', 'a', 't'}, uint16(3))
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		scan := func(parts ...[]byte) ([]scannedChunk, bool) {
			var got []scannedChunk
			var sc chunkScanner
			sc.reset(1000, func(c scannedChunk) { got = append(got, c) })
			for _, p := range parts {
				if _, err := sc.Write(p); err != nil {
					return got, false
				}
			}
			return got, sc.complete()
		}
		c := int(cut) % (len(body) + 1)
		a, okA := scan(body)
		b, okB := scan(body[:c], body[c:])
		if okA != okB || len(a) != len(b) {
			t.Fatalf("whole: %d chunks, complete %v; split at %d: %d chunks, complete %v", len(a), okA, c, len(b), okB)
		}
		for i := range a {
			if !a[i].Prft.Equal(b[i].Prft) || a[i].Ticks != b[i].Ticks {
				t.Fatalf("chunk %d differs when split", i)
			}
		}
	})
}

// FuzzParseInit reads arbitrary init segments; it must not panic.
func FuzzParseInit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 'm', 'o', 'o', 'v'})
	f.Fuzz(func(t *testing.T, body []byte) {
		if ti, err := parseInit(body); err == nil && ti.timescale == 0 {
			t.Fatal("parsed an init segment without a timescale")
		}
	})
}
