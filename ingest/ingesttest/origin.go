// Package ingesttest runs a real origin for tests of what publishes to it
// or plays from it.
package ingesttest

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/ingest"
)

// StartOrigin runs an origin composed as bin/ingest composes it, on
// loopback ports, accepting every stream key, until the test ends.
func StartOrigin(tb testing.TB) *ingest.Origin {
	tb.Helper()
	cfg := ingest.DefaultConfig()
	cfg.RTMPAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.ReadTimeout = 3 * time.Second
	cfg.Linger = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	o, err := ingest.NewOrigin(ctx, cfg, cdn.Access{}, zerolog.Nop())
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("origin: %v", err)
			}
		case <-time.After(15 * time.Second):
			tb.Errorf("origin did not stop")
		}
	})
	select {
	case <-o.Ready():
	case <-time.After(5 * time.Second):
		tb.Fatal("origin not ready")
	}
	return o
}
