package play

import (
	"os"
	"testing"
	"time"
)

const livePlaylist = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,PART-HOLD-BACK=0.6
#EXT-X-PART-INF:PART-TARGET=0.2
#EXT-X-MEDIA-SEQUENCE:4
#EXT-X-MAP:URI="video-aaaa-init.mp4?token=t"
#EXTINF:1.0,
video-aaaa-4.m4s?token=t
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-5.0.m4s?token=t",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-5.1.m4s?token=t"
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-5.2.m4s?token=t"
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-5.3.m4s?token=t"
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-5.4.m4s?token=t"
#EXTINF:1.0,
video-aaaa-5.m4s?token=t
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-6.0.m4s?token=t",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="video-aaaa-6.1.m4s?token=t"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="video-aaaa-6.2.m4s?token=t"
#EXT-X-RENDITION-REPORT:URI="audio.m3u8?token=t",LAST-MSN=6,LAST-PART=1
`

const deltaPlaylist = `#EXTM3U
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6
#EXT-X-PART-INF:PART-TARGET=0.2
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-SKIP:SKIPPED-SEGMENTS=20
#EXT-X-MAP:URI="video-bbbb-init.mp4"
#EXTINF:1.0,
video-bbbb-30.m4s
#EXT-X-PART:DURATION=0.2,URI="video-bbbb-31.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="video-bbbb-31.1.m4s"
#EXT-X-PART:DURATION=0.2,URI="video-bbbb-31.2.m4s"
#EXT-X-PART:DURATION=0.2,URI="video-bbbb-31.3.m4s"
#EXT-X-PART:DURATION=0.2,URI="video-bbbb-31.4.m4s"
#EXTINF:1.0,
video-bbbb-31.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="video-bbbb-32.0.m4s"
`

func TestParseMedia(t *testing.T) {
	live, err := parseMedia([]byte(livePlaylist))
	if err != nil {
		t.Fatal(err)
	}
	if live.target != time.Second || live.partTarget != 200*time.Millisecond || live.partHoldBack != 600*time.Millisecond ||
		!live.canBlock || !live.canSkip || live.first() != 4 || len(live.segs) != 3 {
		t.Fatalf("header or segments wrong: %+v", live)
	}
	if live.hint != "video-aaaa-6.2.m4s?token=t" || live.hintPos != (pos{6, 2}) {
		t.Fatalf("hint %q at %v", live.hint, live.hintPos)
	}
	if s := live.segment(6); s == nil || s.uri != "" || len(s.parts) != 2 || s.mapURI != "video-aaaa-init.mp4?token=t" {
		t.Fatalf("open segment: %+v", s)
	}
	delta, err := parseMedia([]byte(deltaPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	if delta.first() != 30 || delta.hintPos != (pos{32, 0}) || delta.segment(31).uri != "video-bbbb-31.m4s" {
		t.Fatalf("delta playlist: first %d hint %v", delta.first(), delta.hintPos)
	}

	moves := []struct {
		name string
		pl   *mediaPlaylist
		from pos
		want pos
	}{
		{"next listed part", live, pos{5, 1}, pos{5, 2}},
		{"last part of a complete segment", live, pos{5, 4}, pos{6, 0}},
		{"onto the hint", live, pos{6, 1}, pos{6, 2}},
		{"past the hint, segment open", live, pos{6, 2}, pos{6, 3}},
		{"complete segment to the hinted next", delta, pos{31, 4}, pos{32, 0}},
	}
	for _, m := range moves {
		t.Run(m.name, func(t *testing.T) {
			if got := m.pl.after(m.from); got != m.want {
				t.Fatalf("after %v: %v, want %v", m.from, got, m.want)
			}
		})
	}

	starts := []struct {
		name     string
		pl       *mediaPlaylist
		want     pos
		wantSkip time.Duration
	}{
		// 0.6 s back from the end is inside segment 5; its independent
		// part is 5.0, 1.4 s back, so 0.8 s are fetched but not played.
		{"hold back into the previous segment", live, pos{5, 0}, 800 * time.Millisecond},
		// Only one segment has parts: start at its first.
		{"parts of one segment", delta, pos{31, 0}, 400 * time.Millisecond},
	}
	for _, s := range starts {
		t.Run(s.name, func(t *testing.T) {
			got, skip, ok := s.pl.liveStart()
			if !ok || got != s.want || (skip-s.wantSkip).Abs() > time.Millisecond {
				t.Fatalf("liveStart %v skip %v ok %v, want %v skip %v", got, skip, ok, s.want, s.wantSkip)
			}
		})
	}
}

func TestParseMultivariant(t *testing.T) {
	body := `#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio.m3u8?token=x"
#EXT-X-STREAM-INF:BANDWIDTH=1109274,CODECS="avc1.4D401E,mp4a.40.2",RESOLUTION=640x360,AUDIO="aud"
video.m3u8?token=x
`
	v, err := parseMultivariant([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if v.video != "video.m3u8?token=x" || v.audio != "audio.m3u8?token=x" {
		t.Fatalf("%+v", v)
	}
	if v, _ := parseMultivariant([]byte(livePlaylist)); v.video != "" {
		t.Fatalf("a media playlist has variant %q", v.video)
	}
}

func TestParseMPD(t *testing.T) {
	body, err := os.ReadFile("testdata/live.mpd")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMPD(body)
	if err != nil {
		t.Fatal(err)
	}
	if m.period != "bbbbbbbb" || m.video.first != 10 || m.video.last != 13 || m.audio == nil || m.update != 500*time.Millisecond {
		t.Fatalf("%+v video %+v", m, m.video)
	}
	if got := m.video.url(12); got != "video-bbbbbbbb-12.m4s?token=a$b&c" {
		t.Fatalf("url %q", got)
	}
	if m.video.init != "video-bbbbbbbb-init.mp4?token=a$b&c" {
		t.Fatalf("init %q", m.video.init)
	}
}

// FuzzParsePlaylist runs both HLS parsers and the MPD parser on arbitrary
// bytes; none may panic, and a parsed media playlist must answer lookups.
func FuzzParsePlaylist(f *testing.F) {
	f.Add([]byte(livePlaylist))
	f.Add([]byte(deltaPlaylist))
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := parseMedia(body); err == nil {
			p.liveStart()
			for _, s := range p.segs {
				p.after(pos{s.msn, int64(len(s.parts))})
				p.mapFor(s.msn + 1)
			}
		}
		_, _ = parseMultivariant(body)
		if m, err := parseMPD(body); err == nil {
			m.video.url(m.video.last)
		}
	})
}
