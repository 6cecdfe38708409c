package delivery

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/hls"
)

var headSeeds = []string{
	"GET /live/s/video-e1-5-2.m4s HTTP/1.1\r\nHost: a\r\n\r\n",
	"HEAD /live/s/video-e1-5.m4s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"GET /live/s/video-e1-5-2.m4s?token=abc_-.~ HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
	"GET /live/s/video.m3u8?_HLS_msn=5&_HLS_part=1 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	"GET /live/s/x HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n",
	"GET /live/%2e%2e/x HTTP/1.1\r\n\r\n",
	"GET /live/../x HTTP/1.1\r\n\r\n",
	"GET http://a/live/s/x HTTP/1.1\r\n\r\n",
	"POST /ingest/s HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
	"GET /x HTTP/1.0\r\n\r\n",
	"GET /x HTTP/1.1\nHost: a\n\n",
	"GET /x HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost : a\r\n\r\n",
	"GET /x HTTP/1.1\r\nConnection: upgrade\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost: a\r\n",
	"GET /0 HTTP/1.1\r\n\r\n",
	"GET /0 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET /live/s/video.m3u8?_HLS_msn=5&_HLS_msn=7&_HLS_skip=YES&lt_byterange=1&token&token=x HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /live/s/manifest.mpd?addressing=simple&addressing=x&_HLS_part=2 HTTP/1.1\r\nHost: a\r\n\r\n",
}

func TestParseHead(t *testing.T) {
	for _, tc := range []struct {
		in      string
		verdict headVerdict
		path    string
		query   string
		isHead  bool
		close   bool
	}{
		{headSeeds[0], headFast, "/live/s/video-e1-5-2.m4s", "", false, false},
		{headSeeds[1], headFast, "/live/s/video-e1-5.m4s", "", true, true},
		{headSeeds[2], headFast, "/live/s/video-e1-5-2.m4s", "token=abc_-.~", false, false},
		{headSeeds[3], headFast, "/live/s/video.m3u8", "_HLS_msn=5&_HLS_part=1", false, false},
		{headSeeds[4], headPass, "", "", false, false},
		{headSeeds[5], headPass, "", "", false, false},
		{headSeeds[6], headPass, "", "", false, false},
		{headSeeds[7], headPass, "", "", false, false},
		{headSeeds[8], headPass, "", "", false, false},
		{headSeeds[9], headPass, "", "", false, false},
		{headSeeds[10], headPass, "", "", false, false},
		{headSeeds[11], headPass, "", "", false, false},
		{headSeeds[12], headPass, "", "", false, false},
		{headSeeds[13], headPass, "", "", false, false},
		{headSeeds[14], headPartial, "", "", false, false},
		{"GET /x HTT", headPartial, "", "", false, false},
		{headSeeds[15], headPass, "", "", false, false},
		{headSeeds[16], headPass, "", "", false, false},
		{headSeeds[17], headFast, "/live/s/video.m3u8", "_HLS_msn=5&_HLS_msn=7&_HLS_skip=YES&lt_byterange=1&token&token=x", false, false},
		{headSeeds[18], headFast, "/live/s/manifest.mpd", "addressing=simple&addressing=x&_HLS_part=2", false, false},
	} {
		h, v := parseHead([]byte(tc.in))
		if v != tc.verdict {
			t.Errorf("%q: verdict %d, want %d", tc.in, v, tc.verdict)
			continue
		}
		if v != headFast {
			continue
		}
		if string(h.path) != tc.path || string(h.query) != tc.query || h.isHead != tc.isHead || h.close != tc.close {
			t.Errorf("%q: got %+v", tc.in, h)
		}
		if end := bytes.Index([]byte(tc.in), []byte("\r\n\r\n")) + 4; h.size != end {
			t.Errorf("%q: size %d, want %d", tc.in, h.size, end)
		}
	}
}

// FuzzParseHead checks that whatever the fast path takes for a request,
// fasthttp reads as the same request: the fast path must never answer
// what the full server would have read otherwise.
func FuzzParseHead(f *testing.F) {
	for _, s := range headSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, v := parseHead(b)
		if v != headFast {
			return
		}
		if h.size <= 0 || h.size > len(b) {
			t.Fatalf("size %d of %d bytes", h.size, len(b))
		}
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(bytes.NewReader(b[:h.size]))); err != nil {
			t.Fatalf("fast path took %q, fasthttp refuses it: %v", b[:h.size], err)
		}
		method := "GET"
		if h.isHead {
			method = "HEAD"
		}
		uri := req.URI()
		switch {
		case string(req.Header.Method()) != method:
			t.Fatalf("method %q, fasthttp %q", method, req.Header.Method())
		case !bytes.Equal(uri.Path(), h.path):
			t.Fatalf("path %q, fasthttp %q", h.path, uri.Path())
		case !bytes.Equal(uri.QueryString(), h.query):
			t.Fatalf("query %q, fasthttp %q", h.query, uri.QueryString())
		case req.Header.ConnectionClose() != h.close:
			t.Fatalf("close %v, fasthttp %v", h.close, req.Header.ConnectionClose())
		case len(req.Header.Peek("Range")) > 0:
			t.Fatal("a range request taken")
		case len(req.Body()) > 0:
			t.Fatal("a request with a body taken")
		}
		// The fast path reads a query's directives itself, as the full
		// server reads them from fasthttp's arguments.
		args := uri.QueryArgs()
		want, err := hls.ParseRequest(string(args.Peek("_HLS_msn")), string(args.Peek("_HLS_part")),
			string(args.Peek("_HLS_skip")), string(args.Peek("lt_byterange")))
		want.Query = tokenQuery(args)
		got, ok := fastPlaylistRequest(h.query)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("query %q: fast path %+v %v, full server %+v %v", h.query, got, ok, want, err)
		}
		if a, b := QueryValue(h.query, "addressing"), args.Peek("addressing"); !bytes.Equal(a, b) {
			t.Fatalf("query %q: addressing %q, fasthttp %q", h.query, a, b)
		}
	})
}
