// Command ingest runs the livetree origin: it takes RTMP and HTTP push from
// broadcasters, packages them into CMAF windows and serves them.
//
// Settings come from defaults, then flags, then LIVETREE_* environment
// variables (the flag name upper-cased, dashes as underscores: -read-timeout
// is LIVETREE_READ_TIMEOUT).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/ingest"
	"github.com/livetree/livetree/packager/window"
)

func main() { os.Exit(run()) }

func run() int {
	log := zerolog.New(os.Stderr).With().Timestamp().Logger()
	cfg, level, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		return 2
	}
	log = log.Level(level)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The origin serves what every edge serves: the delivery routes, and
	// the feed that edges pull a stream's window through.
	cfg.Streams = window.NewStreams()
	deliver := delivery.New(delivery.Config{Streams: cfg.Streams, Hop: "origin"}, log)
	defer deliver.Close()
	feeds := cdn.FeedHandler(cfg.Streams, cdn.FeedOptions{Context: ctx, Hop: "origin"})
	cfg.Delivery = func(c *fasthttp.RequestCtx) {
		if bytes.HasPrefix(c.Path(), []byte("/feed/")) {
			feeds(c)
			return
		}
		deliver.Serve(c)
	}
	srv, err := ingest.New(cfg, log)
	if err != nil {
		log.Error().Err(err).Str("component", "ingest").Msg("cannot start")
		return 1
	}
	if err := deliver.Register(srv.Metrics()); err != nil {
		log.Error().Err(err).Str("component", "ingest").Msg("cannot register delivery metrics")
		return 1
	}

	if err := srv.Run(ctx); err != nil {
		log.Error().Err(err).Str("component", "ingest").Msg("stopped with error")
		return 1
	}
	return 0
}

// parseConfig builds the configuration from defaults, flags and the
// environment, in that order of precedence (later wins).
func parseConfig(args []string) (ingest.Config, zerolog.Level, error) {
	cfg := ingest.DefaultConfig()
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.StringVar(&cfg.RTMPAddr, "rtmp", cfg.RTMPAddr, "RTMP listen address")
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "HTTP listen address (push, /metrics, /healthz, delivery)")
	fs.StringVar(&cfg.KeysFile, "keys", cfg.KeysFile, `stream keys file, "stream key" per line; none = accept every stream (dev mode)`)
	fs.DurationVar(&cfg.Linger, "linger", cfg.Linger, "how long a stream waits for its publisher to come back before it ends")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "drop a publisher that sends nothing for this long")
	fs.Int64Var(&cfg.MaxPushBytes, "max-push-bytes", cfg.MaxPushBytes, "cap on one HTTP push body")
	fs.IntVar(&cfg.MaxBoxBytes, "max-box-bytes", cfg.MaxBoxBytes, "cap on one top-level box of a fragmented MP4 push")
	fs.IntVar(&cfg.MaxPublishers, "max-publishers", cfg.MaxPublishers, "cap on concurrent publishers")
	fs.DurationVar(&cfg.Packager.SegmentTarget, "segment", cfg.Packager.SegmentTarget, "segment target duration")
	fs.DurationVar(&cfg.Packager.PartTarget, "part", cfg.Packager.PartTarget, "part target duration")
	fs.IntVar(&cfg.Packager.ChunkFrames, "chunk-frames", cfg.Packager.ChunkFrames, "frames per CMAF chunk (0: one chunk per part)")
	fs.DurationVar(&cfg.Packager.Window, "window", cfg.Packager.Window, "media kept in RAM per stream")
	levelName := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return cfg, 0, err
	}
	if fs.NArg() > 0 {
		return cfg, 0, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "LIVETREE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	if envErr != nil {
		return cfg, 0, envErr
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		return cfg, 0, fmt.Errorf("-log-level: %w", err)
	}
	return cfg, level, nil
}
