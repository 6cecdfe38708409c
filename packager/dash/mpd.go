package dash

import (
	"strconv"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// unixEpoch is the MPD's availabilityStartTime: Period starts are ingest
// wall-clock times, so they need no other origin and never change.
var unixEpoch = time.Unix(0, 0).UTC()

// period is one publish's segments as one rendering sees them.
type period struct {
	epoch  string
	anchor anchor
	sets   []*adaptation
}

// adaptation is one track's segments within a period.
type adaptation struct {
	tr   *window.Track
	init *window.Init
	segs []segEntry
}

type segEntry struct {
	msn   uint64
	dts   uint64
	ticks uint64 // the open segment's is its expected duration
	wall  time.Time
}

func (p *period) firstAnchor() anchor {
	var an anchor
	for i, a := range p.sets {
		// The newest segment's wall clock is the best mapping of media time
		// to wall clock (the first seconds of a stream often arrive in a
		// burst); the Period starts that long before it.
		s, last := a.segs[0], a.segs[len(a.segs)-1]
		ts := a.init.Info.Timescale
		wall := last.wall.Add(-fromTicks(last.dts-s.dts, ts))
		c := anchor{wall: wall.Round(time.Millisecond), ticks: s.dts, timescale: ts}
		if i == 0 || c.media() < an.media() {
			an = c
		}
	}
	return an
}

// end is the media time at which the period's content ends.
func (p *period) end() time.Duration {
	var end time.Duration
	for _, a := range p.sets {
		s := a.segs[len(a.segs)-1]
		end = max(end, fromTicks(s.dts+s.ticks, a.init.Info.Timescale))
	}
	return end
}

// periods groups the window's segments by publish, oldest first. The open
// segment is given its expected duration, the segment target, or more if
// it already runs longer, so that clients can fetch it while it is written.
func periods(st *window.Stream) []*period {
	target := st.Config().SegmentTarget
	var out []*period
	byEpoch := map[string]*period{}
	first := map[string]uint64{}
	for _, tr := range st.Tracks() {
		var cur *adaptation
		for _, s := range tr.Segments() {
			complete := s.Complete()
			e := segEntry{msn: s.MSN, dts: s.DTS, ticks: s.Ticks(), wall: s.Wallclock}
			if !complete {
				e.ticks = max(e.ticks, toTicks(target, s.Init.Info.Timescale))
			}
			if cur == nil || cur.init != s.Init {
				p := byEpoch[s.Init.Epoch]
				if p == nil {
					p = &period{epoch: s.Init.Epoch}
					byEpoch[s.Init.Epoch] = p
					first[s.Init.Epoch] = s.MSN
					out = append(out, p)
				}
				first[s.Init.Epoch] = min(first[s.Init.Epoch], s.MSN)
				cur = &adaptation{tr: tr, init: s.Init}
				p.sets = append(p.sets, cur)
			}
			cur.segs = append(cur.segs, e)
		}
	}
	// Insertion sort by first MSN: there are rarely more than two periods.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && first[out[j].epoch] < first[out[j-1].epoch]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// render renders st's MPD but for its publishTime, which goes between
// head and tail, and o.Query, which goes at the offsets ins of tail.
func render(st *window.Stream, an *anchors, o Options) (head, tail []byte, ins []int) {
	cfg := st.Config()
	ended := st.Ended()
	latency := o.LatencyTarget
	if latency <= 0 {
		latency = DefaultLatencyTarget
	}
	mup := o.MinimumUpdatePeriod
	if mup <= 0 {
		mup = max(cfg.SegmentTarget/2, 100*time.Millisecond)
	}
	ps := periods(st)
	an.resolve(ps)
	maxSeg := cfg.SegmentTarget
	for _, tr := range st.Tracks() {
		maxSeg = max(maxSeg, tr.MaxSegmentDuration())
	}

	b := make([]byte, 0, 2048)
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" publishTime="`...)
	head = b
	b = make([]byte, 0, 4096)
	b = append(b, '"')
	if ended {
		var end time.Duration
		for _, p := range ps {
			end = max(end, p.anchor.wall.Sub(unixEpoch)+p.end()-p.anchor.media())
		}
		b = append(b, ` mediaPresentationDuration="`...)
		b = appendXSDuration(b, end)
		b = append(b, '"')
	} else {
		b = append(b, ` minimumUpdatePeriod="`...)
		b = appendXSDuration(b, mup)
		b = append(b, '"')
	}
	b = append(b, ` timeShiftBufferDepth="`...)
	b = appendXSDuration(b, cfg.Span)
	b = append(b, `" maxSegmentDuration="`...)
	b = appendXSDuration(b, maxSeg)
	b = append(b, `" minBufferTime="`...)
	b = appendXSDuration(b, max(cfg.SegmentTarget/2, 100*time.Millisecond))
	b = append(b, `" suggestedPresentationDelay="`...)
	b = appendXSDuration(b, latency)
	b = append(b, "\">\n"...)

	ms := func(d time.Duration) int64 { return int64(d / time.Millisecond) }
	b = append(b, `  <ServiceDescription id="0">`+"\n"+`    <Latency referenceId="0" target="`...)
	b = strconv.AppendInt(b, ms(latency), 10)
	b = append(b, `" min="`...)
	b = strconv.AppendInt(b, ms(latency*3/4), 10)
	b = append(b, `" max="`...)
	b = strconv.AppendInt(b, ms(latency*2), 10)
	b = append(b, `"/>`+"\n"+`    <PlaybackRate min="0.96" max="1.04"/>`+"\n  </ServiceDescription>\n"...)

	for i, p := range ps {
		// Only the live edge's Period may number its segments by the clock:
		// an earlier Period's list must end where its content ends.
		byClock := o.SimpleAddressing && !ended && i == len(ps)-1
		b = append(b, `  <Period id="`...)
		b = appendAttr(b, p.epoch)
		b = append(b, `" start="`...)
		b = appendXSDuration(b, p.anchor.wall.Sub(unixEpoch))
		b = append(b, "\">\n"...)
		for _, a := range p.sets {
			b = appendAdaptation(b, &ins, p, a, cfg.SegmentTarget, byClock)
		}
		b = append(b, "  </Period>\n"...)
	}
	if o.UTCTimingURL != "" {
		b = append(b, `  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="`...)
		b = appendAttr(b, o.UTCTimingURL)
		b = append(b, "\"/>\n"...)
	}
	return head, append(b, "</MPD>\n"...), ins
}

// appendAdaptation appends an AdaptationSet. ins collects the offsets in b
// where a request's query goes. byClock allows SegmentTemplate@duration
// addressing when the segments are regular.
func appendAdaptation(b []byte, ins *[]int, p *period, a *adaptation, target time.Duration, byClock bool) []byte {
	info := a.init.Info
	ts := info.Timescale
	b = append(b, `    <AdaptationSet id="`...)
	b = strconv.AppendInt(b, int64(info.ID), 10)
	b = append(b, `" contentType="`...)
	b = appendAttr(b, info.Kind)
	b = append(b, `" mimeType="`...)
	b = appendAttr(b, info.Kind)
	b = append(b, `/mp4" codecs="`...)
	b = appendAttr(b, info.Codec)
	b = append(b, '"')
	if info.Kind == "video" {
		if info.Width > 0 && info.Height > 0 {
			b = append(b, ` width="`...)
			b = strconv.AppendInt(b, int64(info.Width), 10)
			b = append(b, `" height="`...)
			b = strconv.AppendInt(b, int64(info.Height), 10)
			b = append(b, '"')
		}
		mark := len(b)
		b = append(b, ` frameRate="`...)
		var ok bool
		if b, ok = appendFrameRate(b, a.tr); ok {
			b = append(b, '"')
		} else {
			b = b[:mark]
		}
	}
	if info.SampleRate > 0 {
		b = append(b, ` audioSamplingRate="`...)
		b = strconv.AppendInt(b, int64(info.SampleRate), 10)
		b = append(b, '"')
	}
	b = append(b, ` segmentAlignment="true" startWithSAP="1">`+"\n"...)
	if info.Channels > 0 {
		b = append(b, `      <AudioChannelConfiguration schemeIdUri="urn:mpeg:mpegB:cicp:ChannelConfiguration" value="`...)
		b = strconv.AppendInt(b, int64(info.Channels), 10)
		b = append(b, "\"/>\n"...)
	}
	pto := p.anchor.in(ts)
	b = append(b, `      <ProducerReferenceTime id="0" type="encoder" inband="true" wallClockTime="`...)
	b = appendDate(b, p.anchor.wall)
	b = append(b, `" presentationTime="`...)
	b = strconv.AppendUint(b, pto, 10)
	b = append(b, "\"/>\n"...)

	b = append(b, `      <SegmentTemplate timescale="`...)
	b = strconv.AppendUint(b, uint64(ts), 10)
	b = append(b, `" presentationTimeOffset="`...)
	b = strconv.AppendUint(b, pto, 10)
	d := toTicks(target, ts)
	first, regular := uint64(0), false
	if byClock {
		first, regular = clockNumbering(a.segs, pto, d)
	}
	if regular {
		b = append(b, `" duration="`...)
		b = strconv.AppendUint(b, d, 10)
	} else {
		first = a.segs[0].msn
	}
	b = append(b, `" startNumber="`...)
	b = strconv.AppendUint(b, first, 10)
	b = append(b, `" media="`...)
	b = appendTemplateAttr(b, info.Kind+"-"+a.init.Epoch+"-")
	b = append(b, "$Number$.m4s"...)
	*ins = append(*ins, len(b))
	b = append(b, `" initialization="`...)
	b = appendTemplateAttr(b, window.ObjectName{Type: window.ObjInit, Kind: info.Kind, Epoch: a.init.Epoch}.String())
	*ins = append(*ins, len(b))
	b = append(b, '"')
	// Chunks are available as they are written: all of a segment but its
	// first chunk is available ahead of the segment's end.
	if chunk, ok := chunkDuration(a.tr); ok {
		if ato := target - fromTicks(chunk, ts); ato > 0 {
			b = append(b, ` availabilityTimeOffset="`...)
			b = appendSeconds(b, ato)
			b = append(b, '"')
		}
	}
	if regular {
		b = append(b, ` availabilityTimeComplete="false"/>`+"\n"...)
	} else {
		b = append(b, ` availabilityTimeComplete="false">`+"\n        <SegmentTimeline>\n"...)
		b = appendTimeline(b, a.segs)
		b = append(b, "        </SegmentTimeline>\n      </SegmentTemplate>\n"...)
	}
	b = append(b, `      <Representation id="`...)
	b = appendAttr(b, info.Kind)
	b = append(b, `" bandwidth="`...)
	b = strconv.AppendInt(b, bandwidth(a.tr, a.init), 10)
	b = append(b, "\"/>\n    </AdaptationSet>\n"...)
	return b
}

// clockNumbering returns the number of the segment that starts at pto when
// every segment in segs starts within a quarter of d of pto plus a whole
// number of d (numbered consecutively), so that SegmentTemplate@duration
// describes them. A client then knows from the clock alone when the next
// segment is due, instead of waiting for an MPD update to list it: with a
// SegmentTimeline dash.js (5.2) requests a segment only after an MPD that
// lists it, and refreshing once a segment left it a few tens of
// milliseconds of buffer at 0.6 s latency, so it stalled now and then.
// Audio segments, cut at the video's keyframes in whole AAC frames, are
// regular within a frame.
func clockNumbering(segs []segEntry, pto, d uint64) (uint64, bool) {
	if d == 0 || len(segs) == 0 {
		return 0, false
	}
	var first uint64
	for i, s := range segs {
		if s.dts < pto {
			return 0, false
		}
		off := s.dts - pto
		k := (off + d/2) / d
		if dev := max(off, k*d) - min(off, k*d); dev > d/4 || s.msn < k {
			return 0, false
		}
		if i == 0 {
			first = s.msn - k
		} else if s.msn-k != first {
			return 0, false
		}
	}
	return first, true
}

// appendTimeline appends S elements, one per run of contiguous segments of
// equal duration.
func appendTimeline(b []byte, segs []segEntry) []byte {
	for i := 0; i < len(segs); {
		j := i + 1
		for j < len(segs) && segs[j].ticks == segs[i].ticks && segs[j].dts == segs[j-1].dts+segs[j-1].ticks {
			j++
		}
		b = append(b, `          <S t="`...)
		b = strconv.AppendUint(b, segs[i].dts, 10)
		b = append(b, `" d="`...)
		b = strconv.AppendUint(b, segs[i].ticks, 10)
		if j-i > 1 {
			b = append(b, `" r="`...)
			b = strconv.AppendInt(b, int64(j-i-1), 10)
		}
		b = append(b, "\"/>\n"...)
		i = j
	}
	return b
}
