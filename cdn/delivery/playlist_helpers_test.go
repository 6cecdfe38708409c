package delivery

import (
	"bytes"
	"strings"
	"testing"

	"github.com/livetree/livetree/packager/window"
)

// mediaPlaylist is what tests read from a media playlist.
type mediaPlaylist struct {
	segments []window.ObjectName // full segments, oldest first
	parts    []window.ObjectName // EXT-X-PART URIs, oldest first
	hint     window.ObjectName   // EXT-X-PRELOAD-HINT URI
	ended    bool
	raw      string
}

func parseMedia(t testing.TB, b []byte) mediaPlaylist {
	t.Helper()
	var p mediaPlaylist
	p.raw = string(b)
	name := func(uri string) window.ObjectName {
		uri, _, _ = strings.Cut(uri, "?")
		n, err := window.ParseObjectName(uri)
		if err != nil {
			t.Fatalf("playlist URI %q: %v\n%s", uri, err, b)
		}
		return n
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		s := string(bytes.TrimSpace(line))
		switch {
		case s == "":
		case s == "#EXT-X-ENDLIST":
			p.ended = true
		case strings.HasPrefix(s, "#EXT-X-PART:"):
			p.parts = append(p.parts, name(attr(s, "URI")))
		case strings.HasPrefix(s, "#EXT-X-PRELOAD-HINT:"):
			p.hint = name(attr(s, "URI"))
		case s[0] != '#':
			p.segments = append(p.segments, name(s))
		}
	}
	return p
}

// attr returns a quoted attribute of a tag line.
func attr(line, key string) string {
	_, rest, ok := strings.Cut(line, key+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// lastFull returns the newest full segment of a playlist.
func (p mediaPlaylist) lastFull(t testing.TB) window.ObjectName {
	t.Helper()
	if len(p.segments) == 0 {
		t.Fatalf("playlist has no segment:\n%s", p.raw)
	}
	return p.segments[len(p.segments)-1]
}

// hasPart reports whether the playlist lists part msn.part.
func (p mediaPlaylist) hasPart(msn uint64, part int) bool {
	for _, n := range p.parts {
		if n.MSN == msn && n.Part == part {
			return true
		}
	}
	return false
}
