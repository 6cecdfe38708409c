package peers

import (
	"slices"
	"strings"
	"testing"
)

var partURICases = []struct {
	name     string
	playlist string
	want     []string
}{
	{"parts and hint", `#EXTM3U
#EXT-X-PART-INF:PART-TARGET=0.2
#EXT-X-PART:DURATION=0.2,URI="video-e-20.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="video-e-20.1.m4s"
#EXTINF:1.0,
video-e-20.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="video-e-21.0.m4s"
`, []string{"video-e-20.0.m4s", "video-e-20.1.m4s"}},
	{"uri first, crlf", "#EXT-X-PART:URI=\"a.m4s\",DURATION=0.2\r\n#EXT-X-PART:BYTERANGE=\"10@0\",URI=\"b.m4s\"\r\n",
		[]string{"a.m4s", "b.m4s"}},
	{"no parts", "#EXTM3U\n#EXTINF:1.0,\nseg.m4s\n", nil},
	{"unterminated quote", "#EXT-X-PART:DURATION=0.2,URI=\"a.m4s\n", nil},
	{"empty uri", "#EXT-X-PART:DURATION=0.2,URI=\"\"\n", nil},
	// Found by FuzzPartURIs: an unquoted value ran up to the next comma,
	// quotes included.
	{"unquoted uri", "#EXT-X-PART:URI=0\"\n", nil},
	{"uri in another attribute's value", "#EXT-X-PART:X=\"URI=b\",URI=\"c.m4s\"\n", []string{"c.m4s"}},
}

func TestPartURIs(t *testing.T) {
	for _, tc := range partURICases {
		t.Run(tc.name, func(t *testing.T) {
			if got := PartURIs([]byte(tc.playlist)); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzPartURIs checks that no playlist makes PartURIs panic, and that every
// URI it returns is non-empty, free of quotes and line breaks.
func FuzzPartURIs(f *testing.F) {
	for _, tc := range partURICases {
		f.Add([]byte(tc.playlist))
	}
	f.Fuzz(func(t *testing.T, playlist []byte) {
		for _, uri := range PartURIs(playlist) {
			if uri == "" || strings.ContainsAny(uri, "\"\n") {
				t.Fatalf("bad URI %q", uri)
			}
		}
	})
}
