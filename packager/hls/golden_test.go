package hls

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/golden"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// state is a window in a named situation.
type state struct {
	name string
	make func(t testing.TB) *window.Stream
}

var states = []state{
	{"live", func(t testing.TB) *window.Stream { return packagertest.Recorded(t, 1).Replay(t, 6250*time.Millisecond) }},
	{"part-complete", func(t testing.TB) *window.Stream {
		// Stops right after video part 5.2 completes: the hint is part 5.3,
		// which has no byte yet.
		return packagertest.Recorded(t, 1).ReplayUntil(t, func(ev packagertest.Event) bool {
			return ev.Track == 1 && ev.Meta.MSN == 5 && ev.Meta.Part == 2 && ev.Meta.EndOfPart
		})
	}},
	{"away", func(t testing.TB) *window.Stream { return endSegments(packagertest.Recorded(t, 1).Replay(t, 0)) }},
	{"ended", func(t testing.TB) *window.Stream {
		st := packagertest.Recorded(t, 1).Replay(t, 0)
		st.End()
		return st
	}},
	{"epochs", func(t testing.TB) *window.Stream {
		return packagertest.Recorded(t, 2).Replay(t, 14250*time.Millisecond)
	}},
	{"long", func(t testing.TB) *window.Stream {
		return packagertest.Recorded(t, 2).Replay(t, 19250*time.Millisecond)
	}},
}

func stateNamed(t testing.TB, name string) *window.Stream {
	t.Helper()
	for _, s := range states {
		if s.name == name {
			return s.make(t)
		}
	}
	t.Fatalf("no state %q", name)
	return nil
}

var mediaCases = []struct {
	golden string
	state  string
	kind   string
	req    Request
}{
	{"video-live.m3u8", "live", "video", Request{}},
	{"audio-live.m3u8", "live", "audio", Request{}},
	{"video-part-complete.m3u8", "part-complete", "video", Request{}},
	{"video-byterange.m3u8", "live", "video", Request{ByteRange: true, Query: "token=abc"}},
	{"video-away.m3u8", "away", "video", Request{}},
	{"video-away-byterange.m3u8", "away", "video", Request{ByteRange: true}},
	{"video-ended.m3u8", "ended", "video", Request{}},
	{"video-epochs.m3u8", "epochs", "video", Request{}},
	{"video-skip.m3u8", "long", "video", Request{Skip: true}},
	{"audio-skip-byterange.m3u8", "long", "audio", Request{Skip: true, ByteRange: true, Query: "token=a%20b"}},
	{"video-skip-short.m3u8", "live", "video", Request{Skip: true}},
}

func TestMediaGolden(t *testing.T) {
	for _, tc := range mediaCases {
		t.Run(tc.golden, func(t *testing.T) {
			st := stateNamed(t, tc.state)
			tr := track(t, st, tc.kind)
			req := tc.req
			req.MSN, req.Part = -1, -1
			got := NewRenderer().Media(st, tr, req)
			golden.Check(t, tc.golden, got)
			checkURIs(t, st, got, req.Query)
		})
	}
}

func TestMultivariantGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		state  string
		req    Request
	}{
		{"index.m3u8", "live", Request{}},
		{"index-byterange-token.m3u8", "live", Request{ByteRange: true, Query: "token=abc"}},
		{"index-epochs.m3u8", "epochs", Request{}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			st := stateNamed(t, tc.state)
			got := NewRenderer().Multivariant(st, tc.req)
			golden.Check(t, tc.golden, got)
			checkURIs(t, st, got, tc.req.Query)
		})
	}
}

// TestMultivariantDegrades renders streams with a single track.
func TestMultivariantDegrades(t *testing.T) {
	for _, kind := range []string{"video", "audio"} {
		t.Run(kind+"-only", func(t *testing.T) {
			full := packagertest.Recorded(t, 1).Replay(t, 3*time.Second)
			st := window.NewStream("live", full.Config())
			src := track(t, full, kind)
			dst, _ := st.Track(src.ID(), true)
			dst.SetInit(src.Init())
			for _, s := range src.Segments() {
				data, _ := s.Bytes(0)
				for _, c := range s.Chunks(0) {
					if err := dst.Append(c.ChunkMeta, data[c.Offset:c.Offset+c.Size]); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := NewRenderer().Multivariant(st, Request{})
			golden.Check(t, "index-"+kind+"-only.m3u8", got)
			if bytes.Contains(got, []byte("EXT-X-MEDIA:")) || bytes.Contains(got, []byte("AUDIO=")) {
				t.Errorf("single-track multivariant refers to an audio group:\n%s", got)
			}
			if !bytes.Contains(got, []byte("\n"+kind+".m3u8\n")) {
				t.Errorf("variant does not point at %s.m3u8:\n%s", kind, got)
			}
			if m := NewRenderer().Media(st, dst, Request{MSN: -1, Part: -1}); bytes.Contains(m, []byte("RENDITION-REPORT")) {
				t.Errorf("single-track media playlist reports renditions:\n%s", m)
			}
		})
	}
}

// checkURIs checks that every URI a playlist carries has the query, parses,
// and names an object the window holds, or, for the preload hint alone,
// one that is yet to come.
func checkURIs(t *testing.T, st *window.Stream, pl []byte, query string) {
	t.Helper()
	for _, line := range strings.Split(string(pl), "\n") {
		var uri string
		switch {
		case line == "":
			continue
		case !strings.HasPrefix(line, "#"):
			uri = line
		default:
			i := strings.Index(line, `URI="`)
			if i < 0 {
				continue
			}
			uri = line[i+5:]
			uri = uri[:strings.IndexByte(uri, '"')]
		}
		path, q, _ := strings.Cut(uri, "?")
		if query != "" && !strings.HasSuffix(q, query) {
			t.Errorf("URI %q lacks query %q", uri, query)
		}
		if query == "" && q != "" && q != "lt_byterange=1" {
			t.Errorf("URI %q has an unexpected query", uri)
		}
		if strings.HasSuffix(path, ".m3u8") {
			if path != "video.m3u8" && path != "audio.m3u8" {
				t.Errorf("playlist URI %q", uri)
			}
			continue
		}
		n, err := window.ParseObjectName(path)
		if err != nil {
			t.Errorf("URI %q: %v", uri, err)
			continue
		}
		hint := strings.HasPrefix(line, "#EXT-X-PRELOAD-HINT")
		if err := exists(st, n, hint); err != "" {
			t.Errorf("URI %q in %q: %s", uri, line, err)
		}
		if i := strings.Index(line, `BYTERANGE="`); i >= 0 {
			checkRange(t, st, n, line[i+11:])
		}
	}
}

func exists(st *window.Stream, n window.ObjectName, hint bool) string {
	id, _ := window.TrackIDOf(n.Kind)
	tr, ok := st.Track(id, false)
	if !ok {
		return "no such track"
	}
	if n.Type == window.ObjInit {
		if tr.InitByEpoch(n.Epoch) == nil {
			return "no such init"
		}
		return ""
	}
	seg, ok := tr.Segment(n.MSN)
	if !ok || seg.Init.Epoch != n.Epoch {
		if hint {
			if last, ok := tr.Last(); ok && last.MSN+1 == n.MSN && last.Complete() {
				return "" // the first part of the next segment
			}
		}
		return "no such segment"
	}
	if n.Type == window.ObjSegment {
		// Byte-range parts and hints name the open segment too.
		return ""
	}
	p, ok := seg.Part(n.Part)
	switch {
	case hint && (!ok || !p.Complete):
		return ""
	case !ok:
		return "no such part"
	case !p.Complete:
		return "part listed before it is complete"
	}
	return ""
}

func checkRange(t *testing.T, st *window.Stream, n window.ObjectName, attr string) {
	t.Helper()
	attr = attr[:strings.IndexByte(attr, '"')]
	l, o, _ := strings.Cut(attr, "@")
	length, err1 := strconv.Atoi(l)
	offset, err2 := strconv.Atoi(o)
	if err1 != nil || err2 != nil {
		t.Errorf("bad BYTERANGE %q", attr)
		return
	}
	id, _ := window.TrackIDOf(n.Kind)
	tr, _ := st.Track(id, false)
	seg, _ := tr.Segment(n.MSN)
	data, _ := seg.Bytes(0)
	if offset+length > len(data) {
		t.Errorf("BYTERANGE %q past the %d bytes of segment %d", attr, len(data), n.MSN)
	}
	for _, p := range seg.Parts() {
		if p.Offset == offset {
			if p.Size != length {
				t.Errorf("BYTERANGE %q, part is %d@%d", attr, p.Size, p.Offset)
			}
			return
		}
	}
	t.Errorf("BYTERANGE %q starts no part", attr)
}
