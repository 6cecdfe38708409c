package cdn

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// OriginOptions configure OriginHandler.
type OriginOptions struct {
	// Feed tunes the feed endpoint; Acquire must be nil.
	Feed FeedOptions
	// Access guards viewers' /live/ paths and child edges' feeds.
	Access Access
}

// OriginHandler serves what an origin serves beside its ingest endpoints:
// child edges' feeds of streams, and everything else through deliver
// (LL-HLS, LL-DASH, /time). Viewers and children are checked as an edge
// checks its own, so a viewer's token works at every hop.
func OriginHandler(streams *window.Streams, deliver fasthttp.RequestHandler, opts OriginOptions) fasthttp.RequestHandler {
	feeds := FeedHandler(streams, opts.Feed)
	access := opts.Access
	hop := opts.Feed.Hop
	return func(ctx *fasthttp.RequestCtx) {
		path := ctx.Path()
		switch {
		case bytes.HasPrefix(path, []byte(FeedPath)):
			if err := access.CheckChild(ctx); err != nil {
				writeError(ctx, err, hop)
				return
			}
			feeds(ctx)
		case bytes.HasPrefix(path, []byte(livePrefix)):
			name, _, _ := bytes.Cut(path[len(livePrefix):], []byte{'/'})
			// Bad names are the delivery handler's to answer.
			if validStreamName(name) {
				if err := access.CheckViewer(ctx, name, remoteAddr(ctx), time.Now()); err != nil {
					writeError(ctx, err, hop)
					return
				}
			}
			deliver(ctx)
		default:
			deliver(ctx)
		}
	}
}
