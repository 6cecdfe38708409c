package web

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func get(h *Handler, path string) (*fasthttp.RequestCtx, bool) {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(path)
	return &ctx, h.Serve(&ctx)
}

func TestPages(t *testing.T) {
	h := New(Config{Streams: func() []Stream { return []Stream{{Name: "demo", BitrateMbps: 1.2}} }, RTMPURL: "rtmp://x/live"})
	for _, tc := range []struct {
		path, wantType, wantBody string
		status                   int
	}{
		{"/", "text/html", "livetree", 200},
		{"/watch/demo", "text/html", "player.js", 200},
		{"/watch/bad.name", "", "", 400},
		{"/watch/" + strings.Repeat("x", 65), "", "", 400},
		{"/static/vendor/hls.min.js", "javascript", "", 200},
		{"/static/vendor/dash.mediaplayer.min.js", "javascript", "", 200},
		{"/static/nothing.js", "", "", 404},
		{"/api/streams", "application/json", `"name":"demo"`, 200},
		{"/time", "text/plain", "Z", 200},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ctx, ok := get(h, tc.path)
			if !ok {
				t.Fatal("not served")
			}
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
			if !strings.Contains(string(ctx.Response.Header.ContentType()), tc.wantType) {
				t.Errorf("content type %q, want %q", ctx.Response.Header.ContentType(), tc.wantType)
			}
			if !strings.Contains(string(ctx.Response.Body()), tc.wantBody) {
				t.Errorf("body lacks %q", tc.wantBody)
			}
		})
	}
	// fasthttp cleans the path before it reaches us, so a climb out of
	// /static/ lands outside the handler's paths and is refused.
	if ctx, ok := get(h, "/static/../web.go"); ok && ctx.Response.StatusCode() == 200 {
		t.Error("served a file outside static/")
	}
	if _, ok := get(h, "/live/demo/index.m3u8"); ok {
		t.Error("served a path that belongs to the redirector")
	}
}
