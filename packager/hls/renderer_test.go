package hls

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

func TestRendererCaches(t *testing.T) {
	rec := packagertest.Recorded(t, 1)
	st := rec.Replay(t, 4100*time.Millisecond)
	tr := track(t, st, "video")
	r := NewRenderer()
	req := Request{MSN: -1, Part: -1}

	// Many concurrent waiters share one rendering.
	const n = 64
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() {
			q := req
			if i%2 == 1 {
				q.Query = "token=t"
			}
			bodies[i] = r.Media(st, tr, q)
		})
	}
	wg.Wait()
	for i := 2; i < n; i++ {
		if &bodies[i][0] != &bodies[i%2][0] {
			t.Fatalf("waiter %d got its own rendering", i)
		}
	}

	// A chunk that completes no part leaves the playlist as it is; one that
	// completes a part changes it.
	before := r.Media(st, tr, req)
	appended := 0
	for _, ev := range rec.Events {
		if !ev.Meta.Wallclock.Before(baseWall.Add(4100 * time.Millisecond)) {
			tr, _ := st.Track(ev.Track, true)
			if err := tr.Append(ev.Meta, ev.Data); err != nil {
				t.Fatal(err)
			}
			appended++
			got := r.Media(st, track(t, st, "video"), req)
			fresh := NewRenderer().Media(st, track(t, st, "video"), req)
			if !bytes.Equal(got, fresh) {
				t.Fatalf("after %d chunks the cached playlist is stale:\n%s\nwant\n%s", appended, got, fresh)
			}
			if ev.Meta.EndOfPart {
				if bytes.Equal(got, before) {
					t.Fatalf("part %d.%d completed but the playlist did not change", ev.Meta.MSN, ev.Meta.Part)
				}
				break
			}
			if &got[0] != &before[0] {
				t.Fatalf("chunk %d.%d completed nothing but the playlist was rendered again", ev.Meta.MSN, ev.Meta.Part)
			}
		}
	}
	st.End()
	if got := r.Media(st, tr, req); !bytes.HasSuffix(got, []byte("#EXT-X-ENDLIST\n")) {
		t.Fatalf("ended stream's cached playlist has no ENDLIST:\n%s", got)
	}
}

// TestDiscontinuitySequence checks that the discontinuity sequence counts a
// discontinuity once it leaves the window, and that renderings of an
// earlier window do not count it.
func TestDiscontinuitySequence(t *testing.T) {
	rec := packagertest.Recorded(t, 3)
	cfg := rec.Config
	cfg.Span = 4 * time.Second
	st := window.NewStream("live", cfg)
	r := NewRenderer()
	var seqs []string
	var lastSeg uint64
	for _, ev := range rec.Events {
		tr, _ := st.Track(ev.Track, true)
		if ev.Init != nil {
			tr.SetInit(ev.Init)
		}
		if err := tr.Append(ev.Meta, ev.Data); err != nil {
			t.Fatal(err)
		}
		if ev.Track != 1 || ev.Meta.MSN == lastSeg {
			continue
		}
		lastSeg = ev.Meta.MSN
		st.Evict()
		pl := string(r.Media(st, tr, Request{MSN: -1, Part: -1}))
		i := strings.Index(pl, "#EXT-X-DISCONTINUITY-SEQUENCE:")
		seq := pl[i+30 : i+30+strings.IndexByte(pl[i+30:], '\n')]
		first := tr.Segments()[0]
		want := "0"
		switch {
		case first.MSN > 20:
			want = "2"
		case first.MSN > 10:
			want = "1"
		}
		if seq != want {
			t.Fatalf("window from %d: discontinuity sequence %s, want %s\n%s", first.MSN, seq, want, pl)
		}
		seqs = append(seqs, seq)
	}
	if seqs[len(seqs)-1] != "2" {
		t.Fatalf("sequences %v never reached 2", seqs)
	}
	// discMemory alone: an older window rendered late counts nothing new.
	var m discMemory
	seg := func(msn uint64, disc bool) *window.Segment { return &window.Segment{MSN: msn, Discontinuity: disc} }
	if got := m.seq([]*window.Segment{seg(4, false), seg(5, true), seg(6, false)}); got != 0 {
		t.Fatalf("seq = %d", got)
	}
	if got := m.seq([]*window.Segment{seg(6, false), seg(7, true)}); got != 1 {
		t.Fatalf("seq = %d", got)
	}
	if got := m.seq([]*window.Segment{seg(5, true), seg(6, false)}); got != 0 {
		t.Fatalf("stale window seq = %d", got)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		ticks uint64
		scale uint32
		want  string
	}{
		{90000, 90000, "1.0"},
		{3000, 90000, "0.03333"},
		{1024, 48000, "0.02133"},
		{0, 90000, "0.0"},
		{90090, 90000, "1.001"},
		{5, 0, "0.0"},
	} {
		if got := string(appendTicks(nil, tc.ticks, tc.scale)); got != tc.want {
			t.Errorf("appendTicks(%d, %d) = %s, want %s", tc.ticks, tc.scale, got, tc.want)
		}
	}
	if got := string(appendDuration(nil, 600*time.Millisecond)); got != "0.6" {
		t.Errorf("appendDuration = %s", got)
	}
	if got := string(appendDate(nil, time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600)))); got != "2025-01-02T02:04:05.006Z" {
		t.Errorf("appendDate = %s", got)
	}
}

func TestTargetDuration(t *testing.T) {
	st := stateNamed(t, "live")
	// Audio segments run 1.00267 s: rounded, they fit a 1 s target duration.
	if got := TargetDuration(st, track(t, st, "audio")); got != time.Second {
		t.Fatalf("TargetDuration = %v", got)
	}
}

// BenchmarkMediaPlaylist renders a 30-segment LL-HLS playlist, uncached and
// from the cache, with and without a per-viewer query.
func BenchmarkMediaPlaylist(b *testing.B) {
	rec := packagertest.Recorded(b, 3)
	st := rec.Replay(b, 29250*time.Millisecond)
	tr := track(b, st, "video")
	req := Request{MSN: -1, Part: -1}
	size := len(NewRenderer().Media(st, tr, req))
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			renderMedia(st, tr, false, req, func([]*window.Segment) uint64 { return 0 }, new(leads).of)
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := NewRenderer()
		r.Media(st, tr, req)
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			r.Media(st, tr, req)
		}
	})
	b.Run("cached-query", func(b *testing.B) {
		r := NewRenderer()
		q := req
		q.Query = "token=0123456789abcdef"
		r.Media(st, tr, q)
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			r.Media(st, tr, q)
		}
	})
	b.Run("splice-query", func(b *testing.B) {
		tpl := renderMedia(st, tr, false, req, func([]*window.Segment) uint64 { return 0 }, new(leads).of)
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			tpl.with("token=0123456789abcdef")
		}
	})
}
