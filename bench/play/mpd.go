package play

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dashManifest is what the LL-DASH client needs of an MPD: the newest
// period's video and audio. Parsed once per distinct body and shared.
type dashManifest struct {
	// update is minimumUpdatePeriod: how often a player reloads the MPD;
	// 0 when absent.
	update time.Duration
	period string
	video  *dashTrack
	audio  *dashTrack // nil without audio
}

// dashTrack is one adaptation set's SegmentTemplate.
type dashTrack struct {
	media, init string // templates, $RepresentationID$ already filled in
	first, last int64  // first and last segment numbers listed; last is being written
}

// url returns the media URI of segment number n.
func (t *dashTrack) url(n int64) string {
	return strings.ReplaceAll(strings.ReplaceAll(t.media, "$Number$", strconv.FormatInt(n, 10)), "$$", "$")
}

type mpdXML struct {
	Type    string `xml:"type,attr"`
	Update  string `xml:"minimumUpdatePeriod,attr"`
	Periods []struct {
		ID   string `xml:"id,attr"`
		Sets []struct {
			ContentType string       `xml:"contentType,attr"`
			MimeType    string       `xml:"mimeType,attr"`
			Template    *templateXML `xml:"SegmentTemplate"`
			Reps        []struct {
				ID       string       `xml:"id,attr"`
				Template *templateXML `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

type templateXML struct {
	StartNumber *int64 `xml:"startNumber,attr"`
	Media       string `xml:"media,attr"`
	Init        string `xml:"initialization,attr"`
	Timeline    []struct {
		R int64 `xml:"r,attr"`
	} `xml:"SegmentTimeline>S"`
}

// parseMPD parses a dynamic MPD that uses SegmentTemplate with a
// SegmentTimeline and $Number$.
func parseMPD(body []byte) (*dashManifest, error) {
	var doc mpdXML
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPlaylist, err)
	}
	if len(doc.Periods) == 0 {
		return nil, fmt.Errorf("%w: MPD without a period", ErrBadPlaylist)
	}
	p := doc.Periods[len(doc.Periods)-1]
	m := &dashManifest{period: p.ID}
	if doc.Update != "" {
		d, err := xsDuration(doc.Update)
		if err != nil {
			return nil, err
		}
		m.update = d
	}
	for _, set := range p.Sets {
		kind := set.ContentType
		if kind == "" {
			kind, _, _ = strings.Cut(set.MimeType, "/")
		}
		if len(set.Reps) == 0 {
			continue
		}
		rep := set.Reps[0]
		tmpl := rep.Template
		if tmpl == nil {
			tmpl = set.Template
		}
		if tmpl == nil {
			continue
		}
		t, err := newDashTrack(tmpl, rep.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case kind == "video" && m.video == nil:
			m.video = t
		case kind == "audio" && m.audio == nil:
			m.audio = t
		}
	}
	if m.video == nil {
		return nil, fmt.Errorf("%w: MPD without a video SegmentTemplate", ErrBadPlaylist)
	}
	return m, nil
}

func newDashTrack(tmpl *templateXML, repID string) (*dashTrack, error) {
	if !strings.Contains(tmpl.Media, "$Number$") || tmpl.Init == "" {
		return nil, fmt.Errorf("%w: SegmentTemplate without $Number$ or initialization", ErrBadPlaylist)
	}
	t := &dashTrack{
		media: strings.ReplaceAll(tmpl.Media, "$RepresentationID$", repID),
		init:  strings.ReplaceAll(strings.ReplaceAll(tmpl.Init, "$RepresentationID$", repID), "$$", "$"),
		first: 1,
	}
	if tmpl.StartNumber != nil {
		t.first = *tmpl.StartNumber
	}
	var n int64
	for _, s := range tmpl.Timeline {
		if s.R < 0 || s.R > 1<<20 {
			return nil, fmt.Errorf("%w: S@r=%d", ErrBadPlaylist, s.R)
		}
		n += s.R + 1
	}
	if n == 0 || t.first < 0 || t.first > 1<<53 {
		return nil, fmt.Errorf("%w: empty or out-of-range SegmentTimeline", ErrBadPlaylist)
	}
	t.last = t.first + n - 1
	return t, nil
}

// xsDuration parses the xs:duration forms MPDs use: PnDTnHnMn.nS.
func xsDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%w: duration %q", ErrBadPlaylist, clip([]byte(s)))
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, bad
	}
	var total float64
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexAny(rest, "DHMS")
		if i <= 0 {
			return 0, bad
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || !(v >= 0 && v < 1e9) {
			return 0, bad
		}
		switch unit := rest[i]; {
		case unit == 'D' && !inTime:
			total += v * 86400
		case unit == 'H' && inTime:
			total += v * 3600
		case unit == 'M' && inTime:
			total += v * 60
		case unit == 'S' && inTime:
			total += v
		default:
			return 0, bad
		}
		rest = rest[i+1:]
	}
	if total > 1e7 {
		return 0, bad
	}
	return time.Duration(total * float64(time.Second)), nil
}
