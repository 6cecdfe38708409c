package delivery

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livetree/livetree/packager/window"
)

func TestCORS(t *testing.T) {
	f, _ := shared(t)
	resp, body := do(t, http.MethodOptions, f.base+"/live/s/video.m3u8",
		"Origin: https://player.example", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: range")
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("preflight: status %d, %d bytes", resp.StatusCode, len(body))
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "GET",
		"Access-Control-Allow-Headers": "Range",
		"Access-Control-Max-Age":       "86400",
	} {
		if got := resp.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("preflight %s = %q, want %q in it", k, got, want)
		}
	}
	// Every answer, error or not, carries CORS and hop headers.
	for _, path := range []string{"/live/s/index.m3u8", "/live/nope/index.m3u8", "/live/b@d/index.m3u8", "/time", "/elsewhere"} {
		resp, _ := get(t, f.base+path)
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no Access-Control-Allow-Origin", path)
		}
		if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Livetree-Hop") {
			t.Errorf("%s: X-Livetree-Hop not exposed", path)
		}
		if got := resp.Header.Get("X-Livetree-Hop"); got != "test-origin" {
			t.Errorf("%s: X-Livetree-Hop %q", path, got)
		}
	}
}

// TestHeaders checks content types and cache policy by object.
func TestHeaders(t *testing.T) {
	f, _ := shared(t)
	_, body := get(t, f.base+"/live/s/video.m3u8")
	pl := parseMedia(t, body)
	seg := pl.lastFull(t)
	part := pl.parts[0]
	init := window.ObjectName{Type: window.ObjInit, Kind: "video", Epoch: seg.Epoch}
	audio := window.ObjectName{Type: window.ObjInit, Kind: "audio", Epoch: seg.Epoch}
	const immutable = "public, max-age=31536000, immutable"
	for _, tc := range []struct {
		path, ctype, cache string
	}{
		{"/live/s/index.m3u8", "application/vnd.apple.mpegurl", "no-cache"},
		{"/live/s/video.m3u8", "application/vnd.apple.mpegurl", "no-cache"},
		{"/live/s/audio.m3u8", "application/vnd.apple.mpegurl", "no-cache"},
		{"/live/s/manifest.mpd", "application/dash+xml", "no-cache"},
		{"/live/s/" + init.String(), "video/mp4", immutable},
		{"/live/s/" + audio.String(), "audio/mp4", immutable},
		{"/live/s/" + seg.String(), "video/mp4", immutable},
		{"/live/s/" + part.String(), "video/mp4", immutable},
		{"/time", "text/plain; charset=utf-8", "no-store"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, f.base+tc.path)
			if resp.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
			}
			if got := resp.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := resp.Header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			head, hbody := do(t, http.MethodHead, f.base+tc.path)
			if head.StatusCode != http.StatusOK || len(hbody) != 0 {
				t.Errorf("HEAD: status %d, %d bytes of body", head.StatusCode, len(hbody))
			}
		})
	}
}

func TestTime(t *testing.T) {
	f, _ := shared(t)
	_, body := get(t, f.base+"/time")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).Match(body) {
		t.Fatalf("time %q is not ISO 8601 UTC with milliseconds", body)
	}
	at, err := time.Parse(time.RFC3339Nano, string(body))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(at); d < -time.Second || d > time.Second {
		t.Errorf("server time %v is %v off", at, d)
	}
}

func TestRanges(t *testing.T) {
	f, _ := shared(t)
	_, body := get(t, f.base+"/live/s/video.m3u8")
	seg := parseMedia(t, body).lastFull(t)
	url := f.base + "/live/s/" + seg.String()
	_, whole := get(t, url)
	n := len(whole)
	for _, tc := range []struct {
		rng    string
		status int
		from   int // of whole, for 206
		to     int
	}{
		{"bytes=0-99", 206, 0, 100},
		{"bytes=100-", 206, 100, n},
		{"bytes=-50", 206, n - 50, n},
		{fmt.Sprintf("bytes=10-%d", n+1000), 206, 10, n},
		{fmt.Sprintf("bytes=%d-", n), 416, 0, 0},
		{"bytes=-0", 416, 0, 0},
		{"bytes=0-1,5-6", 200, 0, n},
		{"bytes=5-2", 200, 0, n},
		{"items=0-1", 200, 0, n},
		{"bytes=abc", 200, 0, n},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			resp, body := get(t, url, "Range: "+tc.rng)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			switch tc.status {
			case 206:
				if want := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to-1, n); resp.Header.Get("Content-Range") != want {
					t.Errorf("Content-Range %q, want %q", resp.Header.Get("Content-Range"), want)
				}
				fallthrough
			case 200:
				if !bytes.Equal(body, whole[tc.from:tc.to]) {
					t.Errorf("got %d bytes, want [%d,%d)", len(body), tc.from, tc.to)
				}
			case 416:
				if want := fmt.Sprintf("bytes */%d", n); resp.Header.Get("Content-Range") != want {
					t.Errorf("Content-Range %q, want %q", resp.Header.Get("Content-Range"), want)
				}
			}
		})
	}
}

func TestNotFoundAndGone(t *testing.T) {
	f := newFixture(t, Config{})
	cfg := liveConfig()
	cfg.Window = 3 * time.Second
	l := startLive(t, f.streams, "short", cfg, 9*time.Second)
	tr, _ := l.win.Track(1, false)
	first := tr.Segments()[0]
	if first.MSN == 0 {
		t.Fatal("nothing was evicted")
	}
	last, _ := tr.Last()
	epoch := first.Init.Epoch
	obj := func(msn uint64, part int) string {
		n := window.ObjectName{Type: window.ObjSegment, Kind: "video", Epoch: epoch, MSN: msn}
		if part >= 0 {
			n.Type, n.Part = window.ObjPart, part
		}
		return "/live/short/" + n.String()
	}
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"bad stream name", "GET", "/live/bad.name/index.m3u8", 400},
		{"long stream name", "GET", "/live/" + strings.Repeat("a", 65) + "/index.m3u8", 400},
		{"unknown stream", "GET", "/live/nope/index.m3u8", 404},
		{"unknown route", "GET", "/elsewhere", 404},
		{"unknown file", "GET", "/live/short/nope.txt", 404},
		{"nested path", "GET", "/live/short/x/video.m3u8", 404},
		{"bad object name", "GET", "/live/short/video-" + epoch + "-01.m4s", 404},
		{"wrong epoch", "GET", "/live/short/video-aaaa-" + fmt.Sprint(first.MSN) + ".m4s", 404},
		{"wrong epoch init", "GET", "/live/short/video-aaaa-init.mp4", 404},
		{"evicted segment", "GET", obj(0, -1), 410},
		{"evicted part", "GET", obj(0, 0), 410},
		{"segment too far ahead", "GET", obj(last.MSN+2, -1), 404},
		{"part too far ahead", "GET", obj(last.MSN+1, 1), 404},
		{"part past a complete segment", "GET", obj(first.MSN, 99), 404},
		{"POST", "POST", "/live/short/video.m3u8", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := do(t, tc.method, f.base+tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("error cached: Cache-Control %q", cc)
			}
			if tc.status == 405 && !strings.Contains(resp.Header.Get("Allow"), "GET") {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	f, _ := shared(t)
	get(t, f.base+"/live/s/video.m3u8")
	reg := prometheus.NewRegistry()
	if err := f.h.Register(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			key := mf.GetName()
			for _, lp := range m.GetLabel() {
				key += "/" + lp.GetValue()
			}
			got[key] = v
		}
	}
	for _, k := range []string{"livetree_delivery_requests_total/media_playlist", "livetree_delivery_bytes_out_total"} {
		if got[k] <= 0 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	for _, k := range []string{"livetree_delivery_blocked_waiters", "livetree_delivery_waits_total/woken",
		"livetree_delivery_streaming_responses", "livetree_delivery_errors_total"} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
}

// TestMPDAddressing checks that the MPD lists segments in a SegmentTimeline
// unless the client asks for simple addressing.
func TestMPDAddressing(t *testing.T) {
	f, _ := shared(t)
	for _, tc := range []struct {
		query    string
		timeline bool
	}{{"", true}, {"?addressing=simple", false}, {"?addressing=other", true}} {
		t.Run(tc.query, func(t *testing.T) {
			_, body := get(t, f.base+"/live/s/manifest.mpd"+tc.query)
			last := body[bytes.LastIndex(body, []byte("<Period")):]
			if got := bytes.Contains(last, []byte("<SegmentTimeline>")); got != tc.timeline {
				t.Errorf("live Period has a SegmentTimeline: %v, want %v:\n%s", got, tc.timeline, last)
			}
			if !tc.timeline && !bytes.Contains(last, []byte(`" duration="`)) {
				t.Errorf("simple addressing without SegmentTemplate@duration:\n%s", last)
			}
		})
	}
}
