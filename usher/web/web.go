// Package web serves the viewer pages from usher: an index of live streams
// at /, a player at /watch/{stream}, and the pinned hls.js and dash.js it
// uses, embedded so that the pages work offline.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

//go:embed static
var files embed.FS

// Stream is one entry of the index.
type Stream struct {
	Name        string  `json:"name"`
	BitrateMbps float64 `json:"bitrate_mbps,omitempty"`
}

// Config tells the pages what to list and how to publish.
type Config struct {
	// Streams lists the live streams.
	Streams func() []Stream
	// RTMPURL is the publish URL shown to broadcasters, without the stream
	// name, e.g. rtmp://127.0.0.1:1935/live.
	RTMPURL string
}

// Handler serves the pages.
type Handler struct {
	cfg    Config
	static fs.FS
}

// New returns a handler for cfg.
func New(cfg Config) *Handler {
	static, _ := fs.Sub(files, "static") // cannot fail: the folder is embedded
	return &Handler{cfg: cfg, static: static}
}

var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Serve answers /, /watch/{stream}, /static/*, /api/streams and /time. It
// reports false for any other path, leaving it to the caller.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) bool {
	p := string(ctx.Path())
	switch {
	case p == "/":
		h.file(ctx, "index.html", "no-cache")
	case strings.HasPrefix(p, "/watch/"):
		if !streamName.MatchString(strings.TrimPrefix(p, "/watch/")) {
			ctx.Error("bad stream name", fasthttp.StatusBadRequest)
			return true
		}
		h.file(ctx, "watch.html", "no-cache")
	case strings.HasPrefix(p, "/static/"):
		name := path.Clean(strings.TrimPrefix(p, "/static/"))
		h.file(ctx, name, "public, max-age=300")
	case p == "/api/streams":
		var list []Stream
		if h.cfg.Streams != nil {
			list = h.cfg.Streams()
		}
		ctx.SetContentType("application/json")
		ctx.Response.Header.Set("Cache-Control", "no-cache")
		_ = json.NewEncoder(ctx).Encode(struct {
			Streams []Stream `json:"streams"`
			RTMP    string   `json:"rtmp"`
		}{list, h.cfg.RTMPURL})
	case p == "/time":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.Response.Header.Set("Cache-Control", "no-store")
		ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
		ctx.SetBodyString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	default:
		return false
	}
	return true
}

func (h *Handler) file(ctx *fasthttp.RequestCtx, name, cacheControl string) {
	data, err := fs.ReadFile(h.static, name)
	if err != nil {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	ctx.SetContentType(ct)
	ctx.Response.Header.Set("Cache-Control", cacheControl)
	ctx.SetBody(data)
}
