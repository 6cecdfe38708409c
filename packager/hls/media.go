package hls

import (
	"strconv"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// segView is a segment as one rendering sees it.
type segView struct {
	seg      *window.Segment
	ticks    uint64
	complete bool
	parts    []window.Part // read only for segments whose parts are listed
}

func (v *segView) dur() time.Duration {
	ts := v.seg.Init.Info.Timescale
	if ts == 0 {
		return 0
	}
	return time.Duration(v.ticks/uint64(ts))*time.Second +
		time.Duration(v.ticks%uint64(ts))*time.Second/time.Duration(ts)
}

func (v *segView) name(t window.ObjectKind, part int) window.ObjectName {
	in := v.seg.Init
	return window.ObjectName{Type: t, Kind: in.Info.Kind, Epoch: in.Epoch, MSN: v.seg.MSN, Part: part}
}

// renderMedia renders tr's media playlist with no Query; disc gives the
// discontinuity sequence number of a window whose first segment is given,
// and lead how long after its decode time a segment's first sample is
// presented.
func renderMedia(st *window.Stream, tr *window.Track, ended bool, req Request,
	disc func([]*window.Segment) uint64, lead func(*window.Segment) time.Duration) template {
	cfg := st.Config()
	segs := tr.Segments()
	views := make([]segView, len(segs))
	for i, s := range segs {
		// Complete is read first: the ticks of a complete segment are final.
		views[i] = segView{seg: s, complete: s.Complete()}
		views[i].ticks = s.Ticks()
	}
	td := TargetDuration(st, tr)
	tdSec := int64(td / time.Second)

	// Parts are listed for segments that end within partWindow target
	// durations of the playlist's end; segments that end skipUntil target
	// durations before it may be skipped in a delta update.
	firstParts := len(views)
	var fromEnd time.Duration
	for i := len(views) - 1; i >= 0; i-- {
		if fromEnd >= partWindow*td {
			break
		}
		firstParts = i
		fromEnd += views[i].dur()
	}
	for i := firstParts; i < len(views); i++ {
		views[i].parts = views[i].seg.Parts()
	}
	if n := len(views); n > 0 && !views[n-1].complete && views[n-1].seg.Complete() {
		// The newest segment completed while it was read: read it again,
		// whole, so that its parts, duration and completeness agree.
		v := &views[n-1]
		v.complete, v.ticks, v.parts = true, v.seg.Ticks(), v.seg.Parts()
	}
	skipped := 0
	if req.Skip && len(views) > 0 {
		var total time.Duration
		for i := range views {
			total += views[i].dur()
		}
		var end time.Duration
		for i := 0; i < firstParts && views[i].complete; i++ {
			end += views[i].dur()
			if total-end < skipUntil*td {
				break
			}
			skipped = i + 1
		}
	}

	t := template{b: make([]byte, 0, 256+len(views)*110+(len(views)-firstParts)*8*120)}
	t.str("#EXTM3U\n#EXT-X-VERSION:")
	if skipped > 0 {
		t.str("9")
	} else {
		t.str("6")
	}
	t.str("\n#EXT-X-TARGETDURATION:")
	t.b = strconv.AppendInt(t.b, tdSec, 10)
	t.str("\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=")
	t.b = strconv.AppendInt(t.b, skipUntil*tdSec, 10)
	t.str(",PART-HOLD-BACK=")
	t.b = appendDuration(t.b, partHoldBack*cfg.PartTarget)
	t.str("\n#EXT-X-PART-INF:PART-TARGET=")
	t.b = appendDuration(t.b, cfg.PartTarget)
	t.str("\n#EXT-X-MEDIA-SEQUENCE:")
	if len(segs) > 0 {
		t.b = strconv.AppendUint(t.b, segs[0].MSN, 10)
	} else {
		t.byte('0')
	}
	t.str("\n#EXT-X-DISCONTINUITY-SEQUENCE:")
	t.b = strconv.AppendUint(t.b, disc(segs), 10)
	t.byte('\n')
	if skipped > 0 {
		t.str("#EXT-X-SKIP:SKIPPED-SEGMENTS=")
		t.b = strconv.AppendInt(t.b, int64(skipped), 10)
		t.byte('\n')
	}

	dates := programDates(views, lead)
	var init *window.Init
	for i := skipped; i < len(views); i++ {
		v := &views[i]
		if v.seg.Discontinuity {
			t.str("#EXT-X-DISCONTINUITY\n")
		}
		if v.seg.Init != init {
			init = v.seg.Init
			t.str("#EXT-X-MAP:URI=\"")
			t.name(v.name(window.ObjInit, 0))
			t.str("\"\n")
		}
		t.str("#EXT-X-PROGRAM-DATE-TIME:")
		t.b = appendDate(t.b, dates[i])
		t.byte('\n')
		for _, p := range v.parts {
			if !p.Complete {
				break
			}
			writePart(&t, v, p, req.ByteRange)
		}
		if v.complete {
			t.str("#EXTINF:")
			t.b = appendTicks(t.b, v.ticks, v.seg.Init.Info.Timescale)
			t.str(",\n")
			t.name(v.name(window.ObjSegment, 0))
			t.byte('\n')
		}
	}
	if len(views) > 0 && !ended {
		writeHint(&t, tr, &views[len(views)-1], st.Config().SegmentTarget, req.ByteRange)
		for _, other := range st.Tracks() {
			if other != tr {
				writeReport(&t, other, req.ByteRange)
			}
		}
	}
	if ended {
		t.str("#EXT-X-ENDLIST\n")
	}
	return t
}

// programDates dates each segment by counting back its run's durations
// from the run's newest segment, a run being the segments between two
// discontinuities. The newest segment's date is the presentation of its
// first sample: its wall clock plus lead (see present.go). A segment's own wall clock may be off: the ingest's
// clock mapping improves as frames arrive, and the first seconds of a
// stream often come in a burst. Counting back keeps every date consistent
// with the EXTINF durations, as players that align renditions by date need,
// and uses the best mapping there is.
func programDates(views []segView, lead func(*window.Segment) time.Duration) []time.Time {
	dates := make([]time.Time, len(views))
	for i := len(views) - 1; i >= 0; i-- {
		if i == len(views)-1 || views[i+1].seg.Discontinuity {
			dates[i] = views[i].seg.Wallclock.Add(lead(views[i].seg))
		} else {
			dates[i] = dates[i+1].Add(-views[i].dur())
		}
	}
	return dates
}

func writePart(t *template, v *segView, p window.Part, byteRange bool) {
	t.str("#EXT-X-PART:DURATION=")
	t.b = appendTicks(t.b, p.Duration, v.seg.Init.Info.Timescale)
	t.str(",URI=\"")
	if byteRange {
		t.name(v.name(window.ObjSegment, 0))
		t.str("\",BYTERANGE=\"")
		t.b = strconv.AppendInt(t.b, int64(p.Size), 10)
		t.byte('@')
		t.b = strconv.AppendInt(t.b, int64(p.Offset), 10)
	} else {
		t.name(v.name(window.ObjPart, p.Index))
	}
	t.byte('"')
	if p.Independent {
		t.str(",INDEPENDENT=YES")
	}
	t.byte('\n')
}

// nextSegmentSlack mirrors the packager, which starts a segment at the
// first keyframe once the open one is within half a frame of the target.
const nextSegmentSlack = 25 * time.Millisecond

// writeHint announces the part being written, or the first part of the
// next segment when the newest is complete (its publisher is away) or has
// reached the segment target with its last part complete, so the next
// keyframe will start a new segment rather than another part.
func writeHint(t *template, tr *window.Track, last *segView, target time.Duration, byteRange bool) {
	n := window.ObjectName{Kind: last.seg.Init.Info.Kind, Epoch: last.seg.Init.Epoch, MSN: last.seg.MSN}
	offset := 0
	k := len(last.parts)
	full := k > 0 && last.parts[k-1].Complete && last.dur()+nextSegmentSlack >= target
	if last.complete || full {
		if in := tr.Init(); in != nil {
			n.Kind, n.Epoch = in.Info.Kind, in.Epoch
		}
		n.MSN++
	} else if k > 0 {
		p := last.parts[k-1]
		n.Part, offset = p.Index, p.Offset
		if p.Complete {
			n.Part, offset = p.Index+1, p.Offset+p.Size
		}
	}
	t.str("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"")
	if byteRange {
		n.Type = window.ObjSegment
		t.name(n)
		t.str("\",BYTERANGE-START=")
		t.b = strconv.AppendInt(t.b, int64(offset), 10)
	} else {
		n.Type = window.ObjPart
		t.name(n)
		t.byte('"')
	}
	t.byte('\n')
}

// writeReport reports the newest part of another rendition, so a client
// can switch to it with a blocking request at once.
func writeReport(t *template, tr *window.Track, byteRange bool) {
	msn, part, ok := lastPart(tr)
	in := tr.Init()
	if !ok || in == nil {
		return
	}
	t.str("#EXT-X-RENDITION-REPORT:URI=\"")
	t.playlist(in.Info.Kind, byteRange)
	t.str("\",LAST-MSN=")
	t.b = strconv.AppendUint(t.b, msn, 10)
	t.str(",LAST-PART=")
	t.b = strconv.AppendInt(t.b, int64(part), 10)
	t.byte('\n')
}

// lastPart returns the newest complete part of tr, the last one its
// playlist lists.
func lastPart(tr *window.Track) (msn uint64, part int, ok bool) {
	last, ok := tr.Last()
	if !ok {
		return 0, 0, false
	}
	if n := completeParts(last.Parts()); n > 0 {
		return last.MSN, n - 1, true
	}
	if last.MSN == 0 {
		return 0, 0, false
	}
	prev, ok := tr.Segment(last.MSN - 1)
	if !ok {
		return 0, 0, false
	}
	n := completeParts(prev.Parts())
	if n == 0 {
		return 0, 0, false
	}
	return prev.MSN, n - 1, true
}

// completeParts counts a segment's complete parts: all but an open newest.
func completeParts(parts []window.Part) int {
	n := len(parts)
	if n > 0 && !parts[n-1].Complete {
		n--
	}
	return n
}
