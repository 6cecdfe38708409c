package peers

import (
	"bytes"
	"strings"
)

// PartURIs returns the URI attribute of every EXT-X-PART tag of an LL-HLS
// media playlist, in order. A listed part is complete; the part still being
// written is only named by the preload hint, which is left out.
func PartURIs(playlist []byte) []string {
	var out []string
	for line := range bytes.Lines(playlist) {
		rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("#EXT-X-PART:"))
		if !ok {
			continue
		}
		if uri, ok := quotedAttr(rest, "URI"); ok && uri != "" {
			out = append(out, uri)
		}
	}
	return out
}

// quotedAttr returns the value of the attribute key in an attribute list
// such as DURATION=0.2,URI="a.m4s",INDEPENDENT=YES, if it is a quoted
// string, as a URI must be.
func quotedAttr(list []byte, key string) (string, bool) {
	for len(list) > 0 {
		name, rest, ok := bytes.Cut(list, []byte("="))
		if !ok {
			return "", false
		}
		var value []byte
		quoted := len(rest) > 0 && rest[0] == '"'
		if quoted {
			end := bytes.IndexByte(rest[1:], '"')
			if end < 0 {
				return "", false
			}
			value, rest = rest[1:1+end], rest[2+end:]
		} else {
			value, rest, _ = bytes.Cut(rest, []byte(","))
		}
		if strings.TrimSpace(string(name)) == key {
			return string(value), quoted
		}
		list = bytes.TrimPrefix(rest, []byte(","))
	}
	return "", false
}
