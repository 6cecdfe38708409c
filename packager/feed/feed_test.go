package feed

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// origin packages the sample publishes times over (each a new epoch, the
// timeline continuing) and returns the stream, ended if end is set.
func origin(t testing.TB, cfg packager.Config, publishes int, end bool) *packager.Stream {
	t.Helper()
	c := packagertest.Live(t)
	st := packager.NewStream("s", cfg)
	for i := 0; i < publishes; i++ {
		sess, err := st.Publish(c.Tracks)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c.Frames {
			if err := sess.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		sess.Close()
	}
	if end {
		st.End()
	}
	return st
}

// feedOf returns the whole feed of an ended stream from a position.
func feedOf(t testing.TB, st *window.Stream, from Position) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := NewWriter(&b, st, WriterOptions{From: from}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// replicate pipes a Writer of src into a Reader applying to dst, as a
// parent and child connected by a socket would, and returns the Reader's
// error.
func replicate(t testing.TB, src, dst *window.Stream, from Position) error {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := NewWriter(pw, src, WriterOptions{From: from}).Run(ctx)
		pw.CloseWithError(err)
		done <- err
	}()
	err := NewReader(pr).Apply(dst)
	cancel()
	pr.Close()
	<-done
	return err
}

// sameWindow fails unless every segment dst holds is src's, byte for byte,
// with the same parts, chunks and init segment. With whole set, dst must
// hold every segment src holds.
func sameWindow(t testing.TB, src, dst *window.Stream, whole bool) {
	t.Helper()
	if src.Ended() != dst.Ended() {
		t.Errorf("ended: origin %v edge %v", src.Ended(), dst.Ended())
	}
	st, dt := src.Tracks(), dst.Tracks()
	if len(st) != len(dt) {
		t.Fatalf("%d tracks, want %d", len(dt), len(st))
	}
	for i, s := range st {
		d := dt[i]
		if s.ID() != d.ID() {
			t.Fatalf("track %d, want %d", d.ID(), s.ID())
		}
		if !sameInit(s.Init(), d.Init()) {
			t.Errorf("track %d: current init differs", s.ID())
		}
		dsegs := d.Segments()
		if len(dsegs) == 0 {
			t.Fatalf("track %d: edge holds no segment", d.ID())
		}
		if whole && len(dsegs) != len(s.Segments()) {
			t.Errorf("track %d: %d segments, want %d", d.ID(), len(dsegs), len(s.Segments()))
		}
		compared := 0
		for _, dseg := range dsegs {
			sseg, ok := s.Segment(dseg.MSN)
			if !ok {
				if whole {
					t.Errorf("track %d: edge holds segment %d the origin does not", d.ID(), dseg.MSN)
				}
				continue
			}
			compared++
			sameSegment(t, s.ID(), sseg, dseg)
		}
		if compared < 3 {
			t.Errorf("track %d: only %d segments in common", s.ID(), compared)
		}
	}
}

func sameInit(a, b *window.Init) bool {
	return a != nil && b != nil && a.Epoch == b.Epoch && a.Info == b.Info && bytes.Equal(a.Data, b.Data)
}

func sameSegment(t testing.TB, track int, s, d *window.Segment) {
	t.Helper()
	sb, sc := s.Bytes(0)
	db, dc := d.Bytes(0)
	switch {
	case !bytes.Equal(sb, db):
		t.Errorf("track %d segment %d: bytes differ (%d vs %d)", track, s.MSN, len(sb), len(db))
	case sc != dc:
		t.Errorf("track %d segment %d: complete %v, want %v", track, s.MSN, dc, sc)
	case !sameInit(s.Init, d.Init):
		t.Errorf("track %d segment %d: init differs", track, s.MSN)
	case s.Discontinuity != d.Discontinuity || s.DTS != d.DTS || !s.Wallclock.Equal(d.Wallclock):
		t.Errorf("track %d segment %d: header differs", track, s.MSN)
	}
	sp, dp := s.Parts(), d.Parts()
	if len(sp) != len(dp) {
		t.Fatalf("track %d segment %d: %d parts, want %d", track, s.MSN, len(dp), len(sp))
	}
	for i := range sp {
		if sp[i] != dp[i] {
			t.Errorf("track %d segment %d part %d: %+v, want %+v", track, s.MSN, i, dp[i], sp[i])
		}
	}
	sch, dch := s.Chunks(0), d.Chunks(0)
	if len(sch) != len(dch) {
		t.Fatalf("track %d segment %d: %d chunks, want %d", track, s.MSN, len(dch), len(sch))
	}
	for i := range sch {
		a, b := sch[i], dch[i]
		if !a.Wallclock.Equal(b.Wallclock) {
			t.Errorf("track %d segment %d chunk %d: wall clock %v, want %v", track, s.MSN, i, b.Wallclock, a.Wallclock)
		}
		a.Wallclock, b.Wallclock = time.Time{}, time.Time{}
		if a != b {
			t.Errorf("track %d segment %d chunk %d: %+v, want %+v", track, s.MSN, i, b, a)
		}
	}
}

func TestReplicate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		publishes int
		window    time.Duration
	}{
		{"one publish", 1, 30 * time.Second},
		{"republish", 2, 30 * time.Second},
		{"evicted start", 2, 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := packager.DefaultConfig()
			cfg.Window = tc.window
			src := origin(t, cfg, tc.publishes, true).Window()
			dst := window.NewStream("s", src.Config())
			if err := replicate(t, src, dst, Position{}); err != nil {
				t.Fatal(err)
			}
			sameWindow(t, src, dst, true)
		})
	}
}

// TestResume cuts a feed anywhere, including inside a frame, and resumes
// from the position the truncated window gives: the result must equal a
// feed that never broke.
func TestResume(t *testing.T) {
	cfg := packager.DefaultConfig()
	src := origin(t, cfg, 2, true).Window()
	full := feedOf(t, src, Position{})
	for _, tc := range []struct {
		name string
		cut  int
	}{
		{"header only", headerSize},
		{"inside header", 7},
		{"inside first frame", headerSize + 3},
		{"quarter", len(full) / 4},
		{"middle", len(full) / 2},
		{"middle plus one", len(full)/2 + 1},
		{"second publish", len(full) * 3 / 4},
		{"before end frame", len(full) - frameHeaderSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := window.NewStream("s", src.Config())
			err := NewReader(bytes.NewReader(full[:tc.cut])).Apply(dst)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("truncated feed: %v, want ErrTruncated", err)
			}
			from := ResumeFrom(dst)
			if err := replicate(t, src, dst, from); err != nil {
				t.Fatalf("resume from %+v: %v", from, err)
			}
			sameWindow(t, src, dst, true)
		})
	}
}

// TestLive runs the feed while the packager writes, with a short window so
// that both ends evict while frames flow.
func TestLive(t *testing.T) {
	cfg := packager.DefaultConfig()
	cfg.Window = 3 * time.Second
	c := packagertest.Live(t)
	st := packager.NewStream("s", cfg)
	src := st.Window()
	dst := window.NewStream("s", src.Config())
	go func() {
		for p := 0; p < 2; p++ {
			sess, err := st.Publish(c.Tracks)
			if err != nil {
				t.Error(err)
				return
			}
			for i, f := range c.Frames {
				if err := sess.WriteFrame(f); err != nil {
					t.Error(err)
				}
				if i%20 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			sess.Close()
		}
		st.End()
	}()
	if err := replicate(t, src, dst, Position{}); err != nil {
		t.Fatal(err)
	}
	sameWindow(t, src, dst, false)
}

// TestFromAhead asks a parent for a segment it has not made yet: the
// Writer holds back until the segment exists and starts there.
func TestFromAhead(t *testing.T) {
	c := packagertest.Live(t)
	st := packager.NewStream("s", packager.DefaultConfig())
	sess, err := st.Publish(c.Tracks)
	if err != nil {
		t.Fatal(err)
	}
	half := len(c.Frames) / 2
	for _, f := range c.Frames[:half] {
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	src := st.Window()
	last, _ := src.Tracks()[0].Last()
	from := Position{MSN: last.MSN + 2, Valid: true}
	dst := window.NewStream("s", src.Config())
	done := make(chan error, 1)
	go func() { done <- replicate(t, src, dst, from) }()
	time.Sleep(50 * time.Millisecond)
	for _, f := range c.Frames[half:] {
		if err := sess.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	st.End()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, tr := range dst.Tracks() {
		if segs := tr.Segments(); len(segs) == 0 || segs[0].MSN != from.MSN {
			t.Fatalf("track %d starts at %v, want segment %d", tr.ID(), segs, from.MSN)
		}
	}
}

func TestGap(t *testing.T) {
	cfg := packager.DefaultConfig()
	cfg.Window = 3 * time.Second
	src := origin(t, cfg, 2, true).Window()
	dst := window.NewStream("s", src.Config())
	// The child held the first segments of a parent whose window has since
	// moved far past them.
	long := packager.DefaultConfig()
	full := origin(t, long, 1, true).Window()
	b := feedOf(t, full, Position{})
	_ = NewReader(bytes.NewReader(b[:len(b)/8])).Apply(dst)
	err := replicate(t, src, dst, ResumeFrom(dst))
	if !errors.Is(err, ErrGap) {
		t.Fatalf("err %v, want ErrGap", err)
	}
}

func TestHeartbeat(t *testing.T) {
	src := origin(t, packager.DefaultConfig(), 1, false).Window()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		err := NewWriter(pw, src, WriterOptions{Heartbeat: 20 * time.Millisecond}).Run(ctx)
		pw.CloseWithError(err)
	}()
	r := NewReader(pr)
	beats := make(chan struct{}, 100)
	r.OnFrame(func(t FrameType) {
		if t == FrameHeartbeat {
			beats <- struct{}{}
		}
	})
	go func() { _ = r.Apply(window.NewStream("s", src.Config())) }()
	for i := 0; i < 3; i++ {
		select {
		case <-beats:
		case <-time.After(2 * time.Second):
			t.Fatalf("heartbeat %d not received", i)
		}
	}
	cancel()
	pr.Close()
}

func TestBadFeeds(t *testing.T) {
	src := origin(t, packager.DefaultConfig(), 1, true).Window()
	full := feedOf(t, src, Position{})
	hdr := full[:headerSize]
	frame := func(typ byte, n uint32, payload ...byte) []byte {
		b := append([]byte(nil), hdr...)
		b = append(b, typ, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		return append(b, payload...)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"bad magic", append([]byte("XXXX"), full[4:]...), ErrBadHeader},
		{"bad version", append(append([]byte("LTFD"), 9), full[5:]...), ErrBadHeader},
		{"no frames", hdr, ErrTruncated},
		{"unknown type", frame(0, 0), ErrBadFrame},
		{"type past last", frame(7, 0), ErrBadFrame},
		{"live payload", frame(byte(FrameLive), 1, 0), ErrBadFrame},
		{"oversized frame", frame(byte(FrameChunk), MaxFrameSize+1), ErrBadFrame},
		{"lying length", frame(byte(FrameChunk), MaxFrameSize, 1, 2, 3), ErrTruncated},
		{"heartbeat payload", frame(byte(FrameHeartbeat), 1, 0), ErrBadFrame},
		{"end payload", frame(byte(FrameEnd), 1, 0), ErrBadFrame},
		{"empty chunk", frame(byte(FrameChunk), 0), ErrBadFrame},
		{"chunk of track 0", frame(byte(FrameChunk), 7, 0, 0, 0, 0, 0, 0, 0), ErrBadFrame},
		{"chunk unknown flag", frame(byte(FrameChunk), 7, 1, 0, 0, 0, 0, 0, 0x80), ErrBadFrame},
		{"chunk before init", frame(byte(FrameChunk), 7, 1, 0, 0, 0, 0, 0, 0), window.ErrNoInit},
		{"chunk mid-segment first", frame(byte(FrameChunk), 7, 1, 0, 3, 0, 0, 0, 0), ErrGap},
		{"init no epoch", frame(byte(FrameInit), 9, 1, 0, 0, 0, 1, 0, 0, 0, 0), ErrBadFrame},
		{"init timescale 0", frame(byte(FrameInit), 10, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0), ErrBadFrame},
		{"init string past end", frame(byte(FrameInit), 3, 1, 9, 'a'), ErrBadFrame},
		{"segment end trailing", frame(byte(FrameSegmentEnd), 3, 1, 0, 0), ErrBadFrame},
		{"varint overflow", frame(byte(FrameSegmentEnd), 11, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), ErrBadFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := window.NewStream("s", src.Config())
			err := NewReader(bytes.NewReader(tc.in)).Apply(dst)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestLiveMarker checks that the Live frame comes when the child's window
// has caught up with the parent's.
func TestLiveMarker(t *testing.T) {
	src := origin(t, packager.DefaultConfig(), 1, false).Window()
	dst := window.NewStream("s", src.Config())
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { pw.CloseWithError(NewWriter(pw, src, WriterOptions{}).Run(ctx)) }()
	r := NewReader(pr)
	live := make(chan struct{})
	r.OnFrame(func(ft FrameType) {
		if ft == FrameLive {
			sameWindow(t, src, dst, true)
			close(live)
		}
	})
	go func() { _ = r.Apply(dst) }()
	select {
	case <-live:
	case <-time.After(5 * time.Second):
		t.Fatal("no live frame")
	}
	cancel()
	pr.Close()
}

// TestRestartedParent resumes from a parent whose stream started over
// (same numbers, another publish): the Reader must refuse to splice it in.
func TestRestartedParent(t *testing.T) {
	cfg := packager.DefaultConfig()
	first := origin(t, cfg, 1, true).Window()
	full := feedOf(t, first, Position{})
	dst := window.NewStream("s", first.Config())
	_ = NewReader(bytes.NewReader(full[:len(full)/2])).Apply(dst)
	again := origin(t, cfg, 1, true).Window()
	err := replicate(t, again, dst, ResumeFrom(dst))
	if !errors.Is(err, ErrGap) {
		t.Fatalf("err %v, want ErrGap", err)
	}
}
