package hls

import (
	"errors"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

var requestCases = []struct {
	name                       string
	msn, part, skip, byteRange string
	want                       Request
	ok                         bool
}{
	{"none", "", "", "", "", Request{MSN: -1, Part: -1}, true},
	{"msn", "12", "", "", "", Request{MSN: 12, Part: -1}, true},
	{"msn part", "12", "3", "", "", Request{MSN: 12, Part: 3}, true},
	{"zeros", "0", "0", "", "", Request{MSN: 0, Part: 0}, true},
	{"skip yes", "", "", "YES", "", Request{MSN: -1, Part: -1, Skip: true}, true},
	{"skip v2", "5", "", "v2", "", Request{MSN: 5, Part: -1, Skip: true}, true},
	{"byterange", "", "", "", "1", Request{MSN: -1, Part: -1, ByteRange: true}, true},
	{"byterange off", "", "", "", "0", Request{MSN: -1, Part: -1}, true},
	{"leading zero", "007", "", "", "", Request{MSN: 7, Part: -1}, true},
	{"largest", "9007199254740992", "", "", "", Request{MSN: 1 << 53, Part: -1}, true},
	{"part without msn", "", "1", "", "", Request{}, false},
	{"negative msn", "-1", "", "", "", Request{}, false},
	{"negative part", "1", "-1", "", "", Request{}, false},
	{"plus sign", "+1", "", "", "", Request{}, false},
	{"not a number", "abc", "", "", "", Request{}, false},
	{"fraction", "1.5", "", "", "", Request{}, false},
	{"too large", "9007199254740993", "", "", "", Request{}, false},
	{"overflow", "99999999999999999999", "", "", "", Request{}, false},
	{"bad skip", "", "", "NO", "", Request{}, false},
	{"lower skip", "", "", "yes", "", Request{}, false},
	{"bad byterange", "", "", "", "yes", Request{}, false},
	{"space", " 1", "", "", "", Request{}, false},
}

func TestParseRequest(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequest(tc.msn, tc.part, tc.skip, tc.byteRange)
			if !tc.ok {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("ParseRequest = %+v, %v; want ErrBadRequest", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRequest = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, tc := range requestCases {
		f.Add(tc.msn, tc.part, tc.skip, tc.byteRange)
	}
	f.Fuzz(func(t *testing.T, msn, part, skip, byteRange string) {
		r, err := ParseRequest(msn, part, skip, byteRange)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		switch {
		case r.MSN < -1 || r.Part < -1 || r.MSN > maxDirective || r.Part > maxDirective:
			t.Fatalf("out of range: %+v", r)
		case r.Part >= 0 && r.MSN < 0:
			t.Fatalf("part without msn: %+v", r)
		case (msn == "") != (r.MSN == -1):
			t.Fatalf("msn %q parsed as %d", msn, r.MSN)
		}
	})
}

func TestCheck(t *testing.T) {
	// live: segments 0..5 complete, 6 open with part 0 complete and part 1
	// being written. away: 0..9 complete, nothing open.
	live := stateNamed(t, "live")
	away := stateNamed(t, "away")
	ended := stateNamed(t, "ended")
	empty := window.NewStream("empty", live.Config())
	emptyTrack, _ := empty.Track(1, true)
	emptyTrack.SetInit(track(t, live, "video").Init())
	// A video part 6.1 just complete, to test the part past it.
	partDone := packagertest.Recorded(t, 1).ReplayUntil(t, func(ev packagertest.Event) bool {
		return ev.Track == 1 && ev.Meta.MSN == 6 && ev.Meta.Part == 1 && ev.Meta.EndOfPart
	})
	// Only the first chunk of segment 6: no complete part in it yet.
	segStart := packagertest.Recorded(t, 1).ReplayUntil(t, func(ev packagertest.Event) bool {
		return ev.Track == 1 && ev.Meta.MSN == 6
	})
	evicted := packagertest.Recorded(t, 1).Replay(t, 0)
	evictedCfg := evicted.Config()
	if evictedCfg.MinSegments != 3 {
		t.Fatalf("MinSegments %d", evictedCfg.MinSegments)
	}

	type tc struct {
		name   string
		st     *window.Stream
		tr     *window.Track
		ended  bool
		msn    int64
		part   int64
		ready  bool
		tooFar bool
	}
	v := func(st *window.Stream) *window.Track { return track(t, st, "video") }
	cases := []tc{
		{name: "no directive", st: live, msn: -1, part: -1, ready: true},
		{name: "ended ignores directives", st: ended, ended: true, msn: 1000, part: 5, ready: true},
		{name: "ended ignores directives even too far", st: live, ended: true, msn: 1000, part: -1, ready: true},
		{name: "old msn", st: live, msn: 2, part: -1, ready: true},
		{name: "old part", st: live, msn: 2, part: 3, ready: true},
		{name: "last full segment", st: live, msn: 5, part: -1, ready: true},
		{name: "open segment not full yet", st: live, msn: 6, part: -1},
		{name: "msn plus one", st: live, msn: 6, part: -1},
		{name: "msn plus two blocks", st: live, msn: 7, part: -1},
		{name: "msn plus three too far", st: live, msn: 8, part: -1, tooFar: true},
		{name: "far future too far", st: live, msn: 1 << 40, part: 0, tooFar: true},
		{name: "complete part of open segment", st: live, msn: 6, part: 0, ready: true},
		{name: "part being written", st: live, msn: 6, part: 1},
		{name: "part not started", st: live, msn: 6, part: 2},
		{name: "part of next segment", st: live, msn: 7, part: 0},
		{name: "last part of complete segment", st: live, msn: 5, part: 4, ready: true},
		{name: "part past end means next segment part 0, complete", st: live, msn: 5, part: 5, ready: true},
		{name: "far part past end, complete", st: live, msn: 5, part: 99, ready: true},
		{name: "part past end, next part 0 open", st: segStart, msn: 5, part: 5},
		{name: "just completed part", st: partDone, msn: 6, part: 1, ready: true},
		{name: "part after just completed", st: partDone, msn: 6, part: 2},
		{name: "away: last segment", st: away, msn: 9, part: -1, ready: true},
		{name: "away: part past end of last", st: away, msn: 9, part: 5},
		{name: "away: next segment", st: away, msn: 10, part: -1},
		{name: "away: plus two", st: away, msn: 11, part: 0},
		{name: "away: plus three", st: away, msn: 12, part: -1, tooFar: true},
		{name: "empty track waits", st: empty, tr: emptyTrack, msn: 0, part: 0},
	}
	// An msn older than the window gets the playlist at once.
	{
		st := window.NewStream("evict", window.Config{SegmentTarget: time.Second, PartTarget: 200 * time.Millisecond, Span: 3 * time.Second})
		src := v(evicted)
		dst, _ := st.Track(1, true)
		dst.SetInit(src.Init())
		for _, s := range src.Segments() {
			data, _ := s.Bytes(0)
			for _, c := range s.Chunks(0) {
				if err := dst.Append(c.ChunkMeta, data[c.Offset:c.Offset+c.Size]); err != nil {
					t.Fatal(err)
				}
			}
			st.Evict()
		}
		first := dst.Segments()[0].MSN
		if first == 0 {
			t.Fatal("nothing evicted")
		}
		cases = append(cases,
			tc{name: "evicted msn", st: st, tr: dst, msn: int64(first) - 1, part: -1, ready: true},
			tc{name: "evicted part", st: st, tr: dst, msn: int64(first) - 1, part: 2, ready: true},
			tc{name: "evicted part past end", st: st, tr: dst, msn: int64(first) - 1, part: 40, ready: true})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := c.tr
			if tr == nil {
				tr = v(c.st)
			}
			ready, err := Check(tr, c.ended, Request{MSN: c.msn, Part: c.part})
			if c.tooFar {
				if !errors.Is(err, ErrTooFar) {
					t.Fatalf("Check = %v, %v; want ErrTooFar", ready, err)
				}
				return
			}
			if err != nil || ready != c.ready {
				t.Fatalf("Check = %v, %v; want %v", ready, err, c.ready)
			}
		})
	}
}

// TestCheckAgreesWithPlaylist checks, at every chunk of a recording, that
// Check reports ready exactly for the parts the rendered playlist lists.
func TestCheckAgreesWithPlaylist(t *testing.T) {
	rec := packagertest.Recorded(t, 1)
	st := window.NewStream("live", rec.Config)
	r := NewRenderer()
	for i, ev := range rec.Events {
		tr, _ := st.Track(ev.Track, true)
		if ev.Init != nil {
			tr.SetInit(ev.Init)
		}
		if err := tr.Append(ev.Meta, ev.Data); err != nil {
			t.Fatal(err)
		}
		if i%7 != 0 {
			continue
		}
		pl := r.Media(st, tr, Request{MSN: -1, Part: -1})
		last, _ := tr.Last()
		for msn := max(int64(last.MSN)-1, 0); msn <= int64(last.MSN)+1; msn++ {
			for part := int64(0); part < 7; part++ {
				ready, err := Check(tr, false, Request{MSN: msn, Part: part})
				if err != nil {
					t.Fatal(err)
				}
				listed := listsPart(pl, tr, msn, part)
				if ready != listed {
					t.Fatalf("event %d: Check(%d.%d) = %v, playlist lists it: %v\n%s", i, msn, part, ready, listed, pl)
				}
			}
		}
	}
}

// listsPart reports whether pl lists part (msn, part), or, for a part index
// past the end of a complete segment, part 0 of the next one.
func listsPart(pl []byte, tr *window.Track, msn, part int64) bool {
	if s, ok := tr.Segment(uint64(msn)); ok && s.Complete() && int(part) >= len(s.Parts()) {
		msn, part = msn+1, 0
	}
	s, ok := tr.Segment(uint64(msn))
	if !ok {
		return false
	}
	name := window.ObjectName{Type: window.ObjPart, Kind: s.Init.Info.Kind, Epoch: s.Init.Epoch, MSN: uint64(msn), Part: int(part)}
	return containsLine(pl, `#EXT-X-PART:`, `URI="`+name.String()+`"`)
}

func containsLine(pl []byte, prefix, sub string) bool {
	for _, l := range splitLines(pl) {
		if len(l) >= len(prefix) && l[:len(prefix)] == prefix && contains(l, sub) {
			return true
		}
	}
	return false
}
