package ingest

import (
	"context"
	"fmt"
	"net"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/packager/window"
)

// Origin is an ingest server that is also its streams' origin: beside the
// ingest endpoints, its HTTP port serves LL-HLS and LL-DASH, and the feed
// that edges pull each stream through, exactly as an edge serves them.
type Origin struct {
	*Server
	deliver *delivery.Handler
}

// NewOrigin builds an origin from cfg, whose Streams and Delivery it sets.
// Viewers and child edges are checked by access. Feeds being served end
// when ctx does, so that the server can shut down.
func NewOrigin(ctx context.Context, cfg Config, access cdn.Access, log zerolog.Logger) (*Origin, error) {
	cfg.Streams = window.NewStreams()
	deliver := delivery.New(delivery.Config{Streams: cfg.Streams, Hop: "origin"}, log)
	cfg.Delivery = cdn.OriginHandler(cfg.Streams, deliver.Serve, cdn.OriginOptions{
		Feed:   cdn.FeedOptions{Context: ctx, Hop: "origin"},
		Access: access,
	})
	cfg.Listen = func(l net.Listener) (net.Listener, error) {
		return deliver.FastListener(l, access.AdmitViewer)
	}
	srv, err := New(cfg, log)
	if err != nil {
		deliver.Close()
		return nil, err
	}
	if err := deliver.Register(srv.Metrics()); err != nil {
		deliver.Close()
		return nil, fmt.Errorf("ingest: registering delivery metrics: %w", err)
	}
	return &Origin{Server: srv, deliver: deliver}, nil
}

// Run serves until ctx ends, then releases every viewer still waiting.
func (o *Origin) Run(ctx context.Context) error {
	defer o.deliver.Close()
	return o.Server.Run(ctx)
}
