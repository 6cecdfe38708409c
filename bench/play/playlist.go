package play

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// mediaPlaylist is what a client needs of an HLS media playlist. It is
// parsed once per distinct body and shared, read-only, by every viewer
// that receives those bytes.
type mediaPlaylist struct {
	target       time.Duration // EXT-X-TARGETDURATION
	partTarget   time.Duration // EXT-X-PART-INF PART-TARGET; 0 without parts
	partHoldBack time.Duration // SERVER-CONTROL PART-HOLD-BACK
	canBlock     bool          // SERVER-CONTROL CAN-BLOCK-RELOAD=YES
	canSkip      bool          // SERVER-CONTROL CAN-SKIP-UNTIL present
	ended        bool          // EXT-X-ENDLIST
	skipped      int64         // segments left out of a delta update
	// segs are the listed segments in order, numbers contiguous; the last
	// may be the open one, with parts and no URI yet.
	segs []hlsSegment
	// hint is the URI of the preload-hinted part; "" if none. hintPos is
	// the part after the last listed, which a blocking reload for the
	// hinted part names; the hint itself may be the next segment's first
	// part (see find).
	hint    string
	hintPos pos
}

// pos names a part: a media sequence number and a part index.
type pos struct{ msn, part int64 }

type hlsSegment struct {
	msn    int64
	dur    time.Duration
	uri    string // "" while the segment is being written
	mapURI string // its init segment
	parts  []hlsPart
}

type hlsPart struct {
	dur         time.Duration
	uri         string
	independent bool
}

// segment returns the listed segment msn.
func (p *mediaPlaylist) segment(msn int64) *hlsSegment {
	if len(p.segs) == 0 {
		return nil
	}
	i := msn - p.segs[0].msn
	if i < 0 || i >= int64(len(p.segs)) {
		return nil
	}
	return &p.segs[i]
}

// part returns the listed, complete part at q.
func (p *mediaPlaylist) part(q pos) *hlsPart {
	s := p.segment(q.msn)
	if s == nil || q.part < 0 || q.part >= int64(len(s.parts)) {
		return nil
	}
	return &s.parts[q.part]
}

// find returns where the complete part with URI uri is listed, searching
// from the newest. A preload hint may name the next segment's first part
// before the open segment is complete, so a hinted part is found by its
// URI rather than by the position the hint was given at.
func (p *mediaPlaylist) find(uri string) (pos, bool) {
	for i := len(p.segs) - 1; i >= 0 && i >= len(p.segs)-3; i-- {
		s := &p.segs[i]
		for j := len(s.parts) - 1; j >= 0; j-- {
			if s.parts[j].uri == uri {
				return pos{s.msn, int64(j)}, true
			}
		}
	}
	return pos{}, false
}

// first returns the first listed media sequence number; -1 when empty.
func (p *mediaPlaylist) first() int64 {
	if len(p.segs) == 0 {
		return -1
	}
	return p.segs[0].msn
}

// after returns the part that follows q, as far as p tells.
func (p *mediaPlaylist) after(q pos) pos {
	n := pos{q.msn, q.part + 1}
	if p.part(n) != nil || p.hint != "" && p.hintPos == n {
		return n
	}
	if s := p.segment(q.msn); s != nil && s.uri != "" {
		return pos{q.msn + 1, 0}
	}
	return n
}

// mapFor returns the init segment URI for segment msn: its own, or for a
// segment not listed yet, the newest.
func (p *mediaPlaylist) mapFor(msn int64) string {
	if s := p.segment(msn); s != nil {
		return s.mapURI
	}
	if len(p.segs) == 0 {
		return ""
	}
	return p.segs[len(p.segs)-1].mapURI
}

// liveStart returns where a low-latency player starts: it wants to play
// PART-HOLD-BACK (three part targets when not given) behind the end of
// the playlist, so it fetches from the independent part at or before
// that point, and skips the media before it: skip. Without such a part
// it starts at the oldest independent part listed.
func (p *mediaPlaylist) liveStart() (start pos, skip time.Duration, ok bool) {
	hold := p.partHoldBack
	if hold <= 0 {
		hold = 3 * p.partTarget
	}
	var back time.Duration
	for i := len(p.segs) - 1; i >= 0; i-- {
		s := &p.segs[i]
		if len(s.parts) == 0 {
			break
		}
		for j := len(s.parts) - 1; j >= 0; j-- {
			back += s.parts[j].dur
			if s.parts[j].independent {
				start, ok = pos{s.msn, int64(j)}, true
				if back >= hold {
					return start, back - hold, true
				}
			}
		}
	}
	return start, 0, ok
}

// parseMedia parses an HLS media playlist.
func parseMedia(body []byte) (*mediaPlaylist, error) {
	p := &mediaPlaylist{}
	if !bytes.HasPrefix(body, []byte("#EXTM3U")) {
		return nil, fmt.Errorf("%w: no #EXTM3U", ErrBadPlaylist)
	}
	var (
		msn      int64
		mapURI   string
		cur      hlsSegment // the segment being built
		extinf   time.Duration
		inExtinf bool
	)
	cur.msn = -1
	start := func() {
		if cur.msn < 0 {
			cur = hlsSegment{msn: msn, mapURI: mapURI}
		}
	}
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte{'\n'})
		line = bytes.TrimRight(line, "\r \t")
		if len(line) == 0 {
			continue
		}
		if line[0] != '#' {
			if !inExtinf {
				return nil, fmt.Errorf("%w: URI %q without #EXTINF", ErrBadPlaylist, clip(line))
			}
			start()
			cur.dur, cur.uri = extinf, string(line)
			p.segs = append(p.segs, cur)
			msn++
			cur, inExtinf = hlsSegment{msn: -1}, false
			continue
		}
		tag, val, _ := bytes.Cut(line, []byte{':'})
		var err error
		switch string(tag) {
		case "#EXT-X-TARGETDURATION":
			p.target, err = seconds(val)
		case "#EXT-X-MEDIA-SEQUENCE":
			msn, err = strconv.ParseInt(string(val), 10, 64)
			if err == nil && (msn < 0 || msn > 1<<53) {
				err = fmt.Errorf("media sequence %d out of range", msn)
			}
		case "#EXT-X-PART-INF":
			p.partTarget, err = seconds(attr(val, "PART-TARGET"))
		case "#EXT-X-SERVER-CONTROL":
			p.canBlock = string(attr(val, "CAN-BLOCK-RELOAD")) == "YES"
			p.canSkip = len(attr(val, "CAN-SKIP-UNTIL")) > 0
			if v := attr(val, "PART-HOLD-BACK"); len(v) > 0 {
				p.partHoldBack, err = seconds(v)
			}
		case "#EXT-X-SKIP":
			var n int64
			n, err = strconv.ParseInt(string(attr(val, "SKIPPED-SEGMENTS")), 10, 64)
			if err == nil && (n < 0 || n > 1<<32 || len(p.segs) > 0 || cur.msn >= 0) {
				err = fmt.Errorf("EXT-X-SKIP of %d after segments", n)
			}
			msn += n
			p.skipped = n
		case "#EXT-X-MAP":
			mapURI = string(attr(val, "URI"))
		case "#EXTINF":
			d, _, _ := bytes.Cut(val, []byte{','})
			extinf, err = seconds(d)
			inExtinf = true
		case "#EXT-X-PART":
			start()
			var d time.Duration
			d, err = seconds(attr(val, "DURATION"))
			uri := attr(val, "URI")
			if len(uri) == 0 {
				err = fmt.Errorf("part without URI")
			}
			cur.parts = append(cur.parts, hlsPart{dur: d, uri: string(uri),
				independent: string(attr(val, "INDEPENDENT")) == "YES"})
		case "#EXT-X-PRELOAD-HINT":
			if string(attr(val, "TYPE")) == "PART" && len(attr(val, "BYTERANGE-START")) == 0 {
				p.hint = string(attr(val, "URI"))
				p.hintPos = pos{msn, int64(len(cur.parts))}
			}
		case "#EXT-X-ENDLIST":
			p.ended = true
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadPlaylist, clip(line), err)
		}
	}
	if cur.msn >= 0 {
		p.segs = append(p.segs, cur)
	}
	return p, nil
}

// variants are the renditions a multivariant playlist points to.
type variants struct {
	video string // first variant's URI
	audio string // default audio rendition's URI; "" if none
}

// parseMultivariant parses an HLS multivariant playlist. A media playlist
// given instead is its own single variant, which the caller learns from
// video being "".
func parseMultivariant(body []byte) (variants, error) {
	var v variants
	if !bytes.HasPrefix(body, []byte("#EXTM3U")) {
		return v, fmt.Errorf("%w: no #EXTM3U", ErrBadPlaylist)
	}
	inf := false
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte{'\n'})
		line = bytes.TrimRight(line, "\r \t")
		switch {
		case len(line) == 0:
		case line[0] != '#':
			if inf && v.video == "" {
				v.video = string(line)
			}
			inf = false
		case bytes.HasPrefix(line, []byte("#EXT-X-STREAM-INF:")):
			inf = true
		case bytes.HasPrefix(line, []byte("#EXT-X-MEDIA:")):
			val := line[len("#EXT-X-MEDIA:"):]
			if string(attr(val, "TYPE")) == "AUDIO" && (v.audio == "" || string(attr(val, "DEFAULT")) == "YES") {
				v.audio = string(attr(val, "URI"))
			}
		}
	}
	return v, nil
}

// attr returns the value of key in an attribute list, without quotes; nil
// when absent.
func attr(list []byte, key string) []byte {
	for len(list) > 0 {
		eq := bytes.IndexByte(list, '=')
		if eq < 0 {
			return nil
		}
		name := bytes.TrimSpace(list[:eq])
		rest := list[eq+1:]
		var val []byte
		if len(rest) > 0 && rest[0] == '"' {
			end := bytes.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil
			}
			val, rest = rest[1:1+end], rest[2+end:]
			if i := bytes.IndexByte(rest, ','); i >= 0 {
				rest = rest[i+1:]
			} else {
				rest = nil
			}
		} else {
			val, rest, _ = bytes.Cut(rest, []byte{','})
		}
		if string(name) == key {
			return val
		}
		list = rest
	}
	return nil
}

// seconds parses a decimal number of seconds.
func seconds(b []byte) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || !(f >= 0 && f <= 1e6) {
		return 0, fmt.Errorf("bad duration %q", clip(b))
	}
	return time.Duration(f * float64(time.Second)), nil
}

// clip bounds what an error quotes of a server's bytes.
func clip(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	return string(b)
}
