package dash

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/golden"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// mpdDoc is the part of an MPD the tests read back with encoding/xml.
type mpdDoc struct {
	XMLName                   xml.Name `xml:"urn:mpeg:dash:schema:mpd:2011 MPD"`
	Type                      string   `xml:"type,attr"`
	AvailabilityStartTime     string   `xml:"availabilityStartTime,attr"`
	PublishTime               string   `xml:"publishTime,attr"`
	MinimumUpdatePeriod       string   `xml:"minimumUpdatePeriod,attr"`
	MediaPresentationDuration string   `xml:"mediaPresentationDuration,attr"`
	ServiceDescription        struct {
		Latency struct {
			Target int `xml:"target,attr"`
		}
	}
	Periods []struct {
		ID    string `xml:"id,attr"`
		Start string `xml:"start,attr"`
		Sets  []struct {
			ContentType string `xml:"contentType,attr"`
			MimeType    string `xml:"mimeType,attr"`
			Codecs      string `xml:"codecs,attr"`
			PRT         struct {
				WallClockTime    string `xml:"wallClockTime,attr"`
				PresentationTime uint64 `xml:"presentationTime,attr"`
			} `xml:"ProducerReferenceTime"`
			Template struct {
				Timescale      uint32  `xml:"timescale,attr"`
				PTO            uint64  `xml:"presentationTimeOffset,attr"`
				StartNumber    uint64  `xml:"startNumber,attr"`
				Duration       uint64  `xml:"duration,attr"`
				Media          string  `xml:"media,attr"`
				Initialization string  `xml:"initialization,attr"`
				ATO            float64 `xml:"availabilityTimeOffset,attr"`
				ATC            string  `xml:"availabilityTimeComplete,attr"`
				S              []struct {
					T uint64 `xml:"t,attr"`
					D uint64 `xml:"d,attr"`
					R int    `xml:"r,attr"`
				} `xml:"SegmentTimeline>S"`
			} `xml:"SegmentTemplate"`
			Reps []struct {
				ID        string `xml:"id,attr"`
				Bandwidth int64  `xml:"bandwidth,attr"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
	UTCTiming struct {
		Value string `xml:"value,attr"`
	}
}

func parseMPD(t *testing.T, b []byte) *mpdDoc {
	t.Helper()
	var d mpdDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("MPD is not well-formed: %v\n%s", err, b)
	}
	// A full token-level pass catches what Unmarshal skips.
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("MPD tokens: %v", err)
			}
			break
		}
	}
	return &d
}

// now is the fixed time MPDs are rendered at.
var now = baseWall.Add(time.Minute)

func TestMPDGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		make   func(t testing.TB) *window.Stream
		opts   Options
	}{
		{"live.mpd", func(t testing.TB) *window.Stream { return packagertest.Recorded(t, 1).Replay(t, 6250*time.Millisecond) },
			Options{UTCTimingURL: "/time"}},
		{"token.mpd", func(t testing.TB) *window.Stream { return packagertest.Recorded(t, 1).Replay(t, 3250*time.Millisecond) },
			Options{UTCTimingURL: "https://edge.example/time?a=1&b=2", Query: "token=a$b&c", LatencyTarget: 2 * time.Second}},
		{"epochs.mpd", func(t testing.TB) *window.Stream {
			return packagertest.Recorded(t, 2).Replay(t, 14250*time.Millisecond)
		},
			Options{UTCTimingURL: "/time"}},
		{"live-simple.mpd", func(t testing.TB) *window.Stream {
			return packagertest.Recorded(t, 1).Replay(t, 6250*time.Millisecond)
		}, Options{UTCTimingURL: "/time", SimpleAddressing: true}},
		{"epochs-simple.mpd", func(t testing.TB) *window.Stream {
			return packagertest.Recorded(t, 2).Replay(t, 14250*time.Millisecond)
		}, Options{UTCTimingURL: "/time", SimpleAddressing: true}},
		{"ended.mpd", func(t testing.TB) *window.Stream {
			st := packagertest.Recorded(t, 2).Replay(t, 0)
			st.End()
			return st
		}, Options{}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			st := tc.make(t)
			got := NewRenderer().MPD(st, now, tc.opts)
			golden.Check(t, tc.golden, got)
			d := parseMPD(t, got)
			checkMPD(t, st, d, tc.opts)
		})
	}
}

// checkMPD checks an MPD against its window: every object it names exists,
// its query rides along, and segment times map to ingest wall clock.
func checkMPD(t *testing.T, st *window.Stream, d *mpdDoc, o Options) {
	t.Helper()
	if d.Type != "dynamic" || d.AvailabilityStartTime != "1970-01-01T00:00:00Z" {
		t.Errorf("type %q availabilityStartTime %q", d.Type, d.AvailabilityStartTime)
	}
	if st.Ended() != (d.MinimumUpdatePeriod == "") || st.Ended() != (d.MediaPresentationDuration != "") {
		t.Errorf("ended %v: minimumUpdatePeriod %q mediaPresentationDuration %q", st.Ended(), d.MinimumUpdatePeriod, d.MediaPresentationDuration)
	}
	if d.UTCTiming.Value != o.UTCTimingURL {
		t.Errorf("UTCTiming %q, want %q", d.UTCTiming.Value, o.UTCTimingURL)
	}
	epochs := map[string]bool{}
	for _, tr := range st.Tracks() {
		for _, s := range tr.Segments() {
			epochs[s.Init.Epoch] = true
		}
	}
	if len(d.Periods) != len(epochs) {
		t.Errorf("%d periods for %d epochs", len(d.Periods), len(epochs))
	}
	for pi, p := range d.Periods {
		start := parseXSDuration(t, p.Start)
		for _, as := range p.Sets {
			tm := as.Template
			if tm.ATC != "false" || tm.ATO <= 0 || tm.ATO >= st.Config().SegmentTarget.Seconds() {
				t.Errorf("%s: availabilityTimeOffset %v complete %q", as.ContentType, tm.ATO, tm.ATC)
			}
			if as.PRT.PresentationTime != tm.PTO {
				t.Errorf("%s: ProducerReferenceTime at %d, presentationTimeOffset %d", as.ContentType, as.PRT.PresentationTime, tm.PTO)
			}
			init := strings.ReplaceAll(tm.Initialization, "$$", "$")
			media := strings.ReplaceAll(tm.Media, "$$", "$")
			checkURI(t, st, init, o.Query, false)
			num := tm.StartNumber
			id, _ := window.TrackIDOf(as.ContentType)
			tr, _ := st.Track(id, false)
			if tm.Duration > 0 {
				// Numbered by the clock: segment n starts about
				// (n-startNumber) durations after the offset.
				if len(tm.S) > 0 || pi != len(d.Periods)-1 || st.Ended() {
					t.Errorf("%s: @duration with a timeline, in an earlier period or ended", as.ContentType)
				}
				for _, seg := range tr.Segments() {
					if seg.Init.Epoch != p.ID {
						continue
					}
					nominal := tm.PTO + (seg.MSN-tm.StartNumber)*tm.Duration
					if dev := max(nominal, seg.DTS) - min(nominal, seg.DTS); dev > tm.Duration/4 {
						t.Errorf("%s: segment %d starts at %d, %d from its number's time", as.ContentType, seg.MSN, seg.DTS, dev)
					}
					checkURI(t, st, strings.Replace(media, "$Number$", strconv.FormatUint(seg.MSN, 10), 1), o.Query, true)
					num = seg.MSN + 1
				}
			}
			for _, s := range tm.S {
				tt := s.T
				for k := 0; k <= s.R; k++ {
					name := strings.Replace(media, "$Number$", strconv.FormatUint(num, 10), 1)
					seg := checkURI(t, st, name, o.Query, true)
					if seg != nil {
						if seg.DTS != tt {
							t.Errorf("%s: S@t %d, segment %d starts at %d", name, tt, num, seg.DTS)
						}
						// The segment's place on the MPD timeline is its
						// ingest time, give or take the other track's
						// offset from the period's anchor.
						at := start + time.Duration(float64(tt-tm.PTO)/float64(tm.Timescale)*float64(time.Second))
						wall := seg.Wallclock.Sub(time.Unix(0, 0))
						if diff := at - wall; diff < -100*time.Millisecond || diff > 100*time.Millisecond {
							t.Errorf("%s: on the MPD timeline at %v, ingested at %v", name, at, wall)
						}
					}
					num++
					tt += s.D
				}
			}
			if last, _ := tr.Last(); pi == len(d.Periods)-1 && num-1 != last.MSN {
				t.Errorf("%s: timeline ends at %d, window at %d", as.ContentType, num-1, last.MSN)
			}
		}
	}
}

func checkURI(t *testing.T, st *window.Stream, uri, query string, segment bool) *window.Segment {
	t.Helper()
	path, q, _ := strings.Cut(uri, "?")
	if q != query {
		t.Errorf("URI %q: query %q, want %q", uri, q, query)
	}
	n, err := window.ParseObjectName(path)
	if err != nil {
		t.Errorf("URI %q: %v", uri, err)
		return nil
	}
	id, _ := window.TrackIDOf(n.Kind)
	tr, ok := st.Track(id, false)
	if !ok {
		t.Errorf("URI %q: no track", uri)
		return nil
	}
	if !segment {
		if n.Type != window.ObjInit || tr.InitByEpoch(n.Epoch) == nil {
			t.Errorf("URI %q names no init segment", uri)
		}
		return nil
	}
	seg, ok := tr.Segment(n.MSN)
	if n.Type != window.ObjSegment || !ok || seg.Init.Epoch != n.Epoch {
		t.Errorf("URI %q names no segment", uri)
		return nil
	}
	return seg
}

func parseXSDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	v, ok := strings.CutPrefix(s, "PT")
	v, ok2 := strings.CutSuffix(v, "S")
	f, err := strconv.ParseFloat(v, 64)
	if !ok || !ok2 || err != nil {
		t.Fatalf("duration %q", s)
	}
	return time.Duration(f * float64(time.Second))
}

// TestPeriodsStable checks that a Period keeps its id, start and offset as
// its first segments leave the window, and that a reconnect adds a Period
// after it.
func TestPeriodsStable(t *testing.T) {
	rec := packagertest.Recorded(t, 2)
	cfg := rec.Config
	cfg.Span = 3 * time.Second
	st := window.NewStream("live", cfg)
	r := NewRenderer()
	type seen struct {
		start string
		pto   uint64
	}
	periods := map[string]seen{}
	var order []string
	var lastSeg uint64 = 1 << 63
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
		d := parseMPD(t, r.MPD(st, ev.Meta.Wallclock, Options{}))
		for _, p := range d.Periods {
			s := seen{p.Start, p.Sets[0].Template.PTO}
			old, ok := periods[p.ID]
			if !ok {
				periods[p.ID] = s
				order = append(order, p.ID)
				continue
			}
			if old != s {
				t.Fatalf("segment %d: period %s moved from %+v to %+v", ev.Meta.MSN, p.ID, old, s)
			}
		}
	}
	if len(order) != 2 {
		t.Fatalf("periods %v", order)
	}
	if a, b := parseXSDuration(t, periods[order[0]].start), parseXSDuration(t, periods[order[1]].start); b-a < 10*time.Second {
		t.Fatalf("second period starts %v after the first", b-a)
	}
}

func TestMPDSingleTrack(t *testing.T) {
	full := packagertest.Recorded(t, 1).Replay(t, 3*time.Second)
	st := window.NewStream("live", full.Config())
	src, _ := full.Track(2, false)
	dst, _ := st.Track(2, true)
	dst.SetInit(src.Init())
	for _, s := range src.Segments() {
		data, _ := s.Bytes(0)
		for _, c := range s.Chunks(0) {
			if err := dst.Append(c.ChunkMeta, data[c.Offset:c.Offset+c.Size]); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := parseMPD(t, MPD(st, now, Options{}))
	if len(d.Periods) != 1 || len(d.Periods[0].Sets) != 1 || d.Periods[0].Sets[0].ContentType != "audio" {
		t.Fatalf("audio-only MPD: %+v", d)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{time.Second, "PT1S"},
		{1500 * time.Millisecond, "PT1.5S"},
		{1003 * time.Millisecond, "PT1.003S"},
		{0, "PT0S"},
		{-time.Second, "-PT1S"},
		{1740830400583 * time.Millisecond, "PT1740830400.583S"},
	} {
		if got := string(appendXSDuration(nil, tc.d)); got != tc.want {
			t.Errorf("appendXSDuration(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
	if got := string(appendTemplateAttr(nil, `a$b&"c`)); got != `a$$b&amp;&quot;c` {
		t.Errorf("appendTemplateAttr = %s", got)
	}
}

// BenchmarkMPD renders a 30-second, three-period MPD, uncached and from
// the cache (which writes only the publishTime).
func BenchmarkMPD(b *testing.B) {
	rec := packagertest.Recorded(b, 3)
	st := rec.Replay(b, 29250*time.Millisecond)
	o := Options{UTCTimingURL: "/time", Query: "token=0123456789abcdef"}
	size := int64(len(NewRenderer().MPD(st, now, o)))
	b.Run("render", func(b *testing.B) {
		an := &anchors{byEpoch: map[string]anchor{}}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			render(st, an, o)
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := NewRenderer()
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			r.MPD(st, now, o)
		}
	})
}

// TestMPDCache checks that a cached MPD follows the stream and carries
// each request's time.
func TestMPDCache(t *testing.T) {
	rec := packagertest.Recorded(t, 1)
	st := rec.Replay(t, 2*time.Second)
	r := NewRenderer()
	a := r.MPD(st, now, Options{})
	b := r.MPD(st, now.Add(time.Second), Options{})
	if bytes.Equal(a, b) || !bytes.Equal(a, bytes.Replace(b, []byte("12:01:01.000Z"), []byte("12:01:00.000Z"), 1)) {
		t.Fatalf("MPDs differ in more than publishTime:\n%s\n%s", a, b)
	}
	for _, ev := range rec.Events {
		if ev.Meta.Wallclock.Before(baseWall.Add(2 * time.Second)) {
			continue
		}
		tr, _ := st.Track(ev.Track, true)
		if err := tr.Append(ev.Meta, ev.Data); err != nil {
			t.Fatal(err)
		}
		if ev.Meta.MSN > 3 {
			break
		}
	}
	// A fresh renderer anchors periods at the same segments here, since
	// nothing was evicted.
	if got, want := r.MPD(st, now, Options{}), NewRenderer().MPD(st, now, Options{}); !bytes.Equal(got, want) {
		t.Fatalf("cached MPD is stale:\n%s\nwant\n%s", got, want)
	}
}

func TestClockNumbering(t *testing.T) {
	const d = 48000
	seg := func(msn, dts uint64) segEntry { return segEntry{msn: msn, dts: dts} }
	for _, tc := range []struct {
		name  string
		segs  []segEntry
		pto   uint64
		first uint64
		ok    bool
	}{
		{"exact", []segEntry{seg(7, 1000), seg(8, 1000+d), seg(9, 1000+2*d)}, 1000, 7, true},
		{"audio within a frame", []segEntry{seg(12, 4000), seg(13, 4000+48128), seg(14, 4000+48128+47104)}, 0, 12, true},
		{"window slid", []segEntry{seg(20, 5*d+90), seg(21, 6*d-300)}, 0, 15, true},
		{"long segment", []segEntry{seg(3, 0), seg(4, 2*d)}, 0, 0, false},
		{"off by a third", []segEntry{seg(3, d/3)}, 0, 0, false},
		{"before the offset", []segEntry{seg(3, 10)}, 20, 0, false},
		{"empty", nil, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, ok := clockNumbering(tc.segs, tc.pto, d)
			if ok != tc.ok || (ok && first != tc.first) {
				t.Errorf("clockNumbering = %d, %v; want %d, %v", first, ok, tc.first, tc.ok)
			}
		})
	}
}
