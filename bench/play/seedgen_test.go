package play

import (
	"flag"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/livetree/livetree/internal/fuzzseed"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the fuzz seed corpora in testdata/fuzz from a live origin")

// maxSeed bounds a seed file, so the corpora stay small.
const maxSeed = 12 << 10

// writeSeed writes one corpus file, its byte slices clipped to maxSeed.
func writeSeed(t *testing.T, target, name string, args ...any) {
	fuzzseed.Write(t, target, name, fuzzseed.Clip(maxSeed, args...)...)
}

// TestGenSeeds records what a live origin serves as fuzz seeds: the
// playlists and MPD the parsers read, and media bodies for the scanner.
// Run with -run TestGenSeeds -genseeds.
func TestGenSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("run with -genseeds to rewrite the corpora")
	}
	o := startOrigin(t)
	o.publish(t, "s")
	get := func(path string) []byte {
		resp, err := http.Get(o.httpBase() + "/live/s/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %d", path, err, resp.StatusCode)
		}
		return b
	}
	media := get("video.m3u8?token=abc")
	writeSeed(t, "FuzzParsePlaylist", "origin-media", media)
	writeSeed(t, "FuzzParsePlaylist", "origin-delta", get("video.m3u8?_HLS_msn=3&_HLS_part=0&_HLS_skip=YES"))
	writeSeed(t, "FuzzParsePlaylist", "origin-audio", get("audio.m3u8"))
	writeSeed(t, "FuzzParsePlaylist", "origin-multivariant", get("index.m3u8?token=abc"))
	writeSeed(t, "FuzzParsePlaylist", "origin-mpd", get("manifest.mpd?token=a$b"))

	// A complete part and the start of a segment, cut mid-box.
	part := regexp.MustCompile(`URI="(video-[a-z0-9]+-\d+\.\d+\.m4s)\?`).FindSubmatch(media)
	seg := regexp.MustCompile(`\n(video-[a-z0-9]+-\d+\.m4s)\?`).FindSubmatch(media)
	if part == nil || seg == nil {
		t.Fatalf("no part or segment in\n%s", media)
	}
	writeSeed(t, "FuzzChunkScanner", "origin-part", get(string(part[1])), uint16(37))
	initURI := regexp.MustCompile(`#EXT-X-MAP:URI="([^"?]+)`).FindSubmatch(media)
	if initURI == nil {
		t.Fatalf("no init segment in\n%s", media)
	}
	writeSeed(t, "FuzzParseInit", "origin-video-init", get(string(initURI[1])))
	writeSeed(t, "FuzzChunkScanner", "origin-segment-head", get(string(seg[1]))[:5000], uint16(1000))
}
