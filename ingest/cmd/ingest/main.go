// Command ingest runs the livetree origin: it takes RTMP and HTTP push from
// broadcasters, packages them into CMAF windows and serves them.
//
// Settings come from defaults, then flags, then LIVETREE_* environment
// variables (the flag name upper-cased, dashes as underscores: -read-timeout
// is LIVETREE_READ_TIMEOUT). Secrets (-fleet-token, -token-keys, a -redis
// URL with a password) are best passed in the environment, so that they
// never show in a process list.
//
// With -usher, the server announces the streams it originates to usher;
// with -redis, publishers' stream keys are also looked up in usher's Redis;
// with -token-keys, viewers need a playback token usher signed; with
// -fleet-token, edges need that token to pull a feed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/ingest"
	"github.com/livetree/livetree/internal/settings"
	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/token"
)

func main() { os.Exit(run()) }

func run() int {
	log := zerolog.New(os.Stderr).With().Timestamp().Logger()
	cfg, opts, level, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		return 2
	}
	log = log.Level(level)
	fleet.LogRedisAtDebug(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if opts.redis != "" {
		rdb, err := fleet.OpenRedis(opts.redis, opts.redisMaster)
		if err != nil {
			log.Error().Err(err).Str("component", "ingest").Msg("cannot use redis")
			return 2
		}
		defer rdb.Close()
		cfg.Redis = rdb
	}
	access, err := cdn.NewAccess(opts.tokenKeys, cfg.FleetToken)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest: -token-keys:", err)
		return 2
	}

	srv, err := ingest.NewOrigin(ctx, cfg, access, log)
	if err != nil {
		log.Error().Err(err).Str("component", "ingest").Msg("cannot start")
		return 1
	}

	if err := srv.Run(ctx); err != nil {
		log.Error().Err(err).Str("component", "ingest").Msg("stopped with error")
		return 1
	}
	return 0
}

// options are the settings that are not the server's own: they build
// what main plugs into it.
type options struct {
	redis, redisMaster string
	tokenKeys          map[string][]byte
}

// parseConfig builds the configuration from defaults, flags and the
// environment, in that order of precedence (later wins).
func parseConfig(args []string) (ingest.Config, options, zerolog.Level, error) {
	var opts options
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
	ushers := fs.String("usher", "", "comma-separated usher base URLs to announce streams to")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "base URL edges pull from, announced to usher")
	fs.StringVar(&cfg.FleetToken, "fleet-token", cfg.FleetToken, "bearer token towards usher, required from edges pulling feeds (empty: no check)")
	fs.DurationVar(&cfg.RegisterInterval, "register-interval", cfg.RegisterInterval, "time between two announcements to usher")
	fs.StringVar(&opts.redis, "redis", "", "usher's Redis (redis:// URL or comma list of Sentinel/Cluster addresses) to look stream keys up in; -keys may grant too")
	fs.StringVar(&opts.redisMaster, "redis-master", "", "Sentinel master name, when -redis lists sentinels")
	tokenKeys := fs.String("token-keys", "", "playback token keys id:secret[,id:secret...]; when set, viewers need a token usher signed (empty: no check)")
	levelName := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return cfg, opts, 0, err
	}
	if fs.NArg() > 0 {
		return cfg, opts, 0, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := settings.FromEnv(fs); err != nil {
		return cfg, opts, 0, err
	}
	cfg.Ushers = settings.List(*ushers)
	if *tokenKeys != "" {
		keys, _, err := token.ParseKeys(*tokenKeys)
		if err != nil {
			return cfg, opts, 0, fmt.Errorf("-token-keys: %w", err)
		}
		opts.tokenKeys = keys
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		return cfg, opts, 0, fmt.Errorf("-log-level: %w", err)
	}
	return cfg, opts, level, nil
}
