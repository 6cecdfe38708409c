package window

import (
	"fmt"
	"strconv"
)

// ObjectKind tells which object an ObjectName names.
type ObjectKind int

// Object kinds.
const (
	ObjInit    ObjectKind = iota + 1 // {kind}-{epoch}-init.mp4
	ObjSegment                       // {kind}-{epoch}-{msn}.m4s
	ObjPart                          // {kind}-{epoch}-{msn}.{part}.m4s
)

// Limits of an object name. MaxEpochLen bounds a publish id; MaxPartDigits
// keeps a part index well inside an int on every platform.
const (
	MaxEpochLen   = 16
	MaxPartDigits = 6
	maxMSNDigits  = 20 // len("18446744073709551615")
	// maxNameLen is the longest name ParseObjectName looks at, so a huge
	// request path costs nothing.
	maxNameLen = len("video-") + MaxEpochLen + 1 + maxMSNDigits + 1 + MaxPartDigits + len(".m4s")
)

// ObjectName is a parsed object name under /live/{stream}/: the init segment,
// a segment or a part of one track of one publish.
type ObjectName struct {
	Type  ObjectKind
	Kind  string // "video" or "audio"
	Epoch string
	MSN   uint64 // segments and parts
	Part  int    // parts
}

// TrackIDOf returns the track ID that carries a kind of media.
func TrackIDOf(kind string) (int, bool) {
	switch kind {
	case "video":
		return 1, true
	case "audio":
		return 2, true
	}
	return 0, false
}

// ParseObjectName parses an object name strictly: a known kind, an epoch of
// lower-case base32 letters, and decimal numbers without sign or leading
// zeros, so that every object has exactly one name a cache can key on.
func ParseObjectName(s string) (ObjectName, error) {
	var n ObjectName
	if len(s) > maxNameLen {
		return n, fmt.Errorf("%w: too long", ErrBadName)
	}
	switch {
	case len(s) > 6 && s[:6] == "video-":
		n.Kind = "video"
	case len(s) > 6 && s[:6] == "audio-":
		n.Kind = "audio"
	default:
		return n, fmt.Errorf("%w: unknown kind", ErrBadName)
	}
	rest := s[6:]
	i := 0
	for i < len(rest) && isEpochByte(rest[i]) {
		i++
	}
	if i == 0 || i > MaxEpochLen || i == len(rest) || rest[i] != '-' {
		return n, fmt.Errorf("%w: bad epoch", ErrBadName)
	}
	n.Epoch, rest = rest[:i], rest[i+1:]
	if rest == "init.mp4" {
		n.Type = ObjInit
		return n, nil
	}
	const ext = ".m4s"
	if len(rest) <= len(ext) || rest[len(rest)-len(ext):] != ext {
		return n, fmt.Errorf("%w: bad suffix", ErrBadName)
	}
	rest = rest[:len(rest)-len(ext)]
	msn, rest, ok := cutNumber(rest, maxMSNDigits)
	if !ok {
		return n, fmt.Errorf("%w: bad sequence number", ErrBadName)
	}
	if n.MSN, ok = parseUint(msn); !ok {
		return n, fmt.Errorf("%w: sequence number out of range", ErrBadName)
	}
	if rest == "" {
		n.Type = ObjSegment
		return n, nil
	}
	if rest[0] != '.' {
		return n, fmt.Errorf("%w: bad part", ErrBadName)
	}
	part, rest, ok := cutNumber(rest[1:], MaxPartDigits)
	if !ok || rest != "" {
		return n, fmt.Errorf("%w: bad part", ErrBadName)
	}
	p, _ := parseUint(part) // at most MaxPartDigits digits: never overflows
	n.Type, n.Part = ObjPart, int(p)
	return n, nil
}

// String returns the name ParseObjectName parses back into n.
func (n ObjectName) String() string {
	var b [maxNameLen]byte
	return string(n.AppendTo(b[:0]))
}

// AppendTo appends the name to b, for renderers that build playlists
// without allocating a string per URI.
func (n ObjectName) AppendTo(b []byte) []byte {
	b = append(b, n.Kind...)
	b = append(b, '-')
	b = append(b, n.Epoch...)
	b = append(b, '-')
	switch n.Type {
	case ObjInit:
		return append(b, "init.mp4"...)
	case ObjPart:
		b = strconv.AppendUint(b, n.MSN, 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(n.Part), 10)
	default:
		b = strconv.AppendUint(b, n.MSN, 10)
	}
	return append(b, ".m4s"...)
}

func isEpochByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '2' && c <= '7' }

// cutNumber splits a leading canonical decimal number of at most max digits
// off s.
func cutNumber(s string, max int) (num, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > max || (i > 1 && s[0] == '0') {
		return "", s, false
	}
	return s[:i], s[i:], true
}

// parseUint parses digits already checked by cutNumber, reporting overflow.
func parseUint(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
