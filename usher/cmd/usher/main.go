// Command usher redirects viewers to the best edge for a live stream and
// plans the edges' replication trees, keeping its state in Redis.
//
// Settings come from defaults, then flags, then LIVETREE_* environment
// variables (the flag name upper-cased, dashes as underscores: -fleet-token
// is LIVETREE_FLEET_TOKEN). Secrets are best passed in the environment.
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

	"github.com/livetree/livetree/internal/settings"
	"github.com/livetree/livetree/usher"
	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/token"
)

func main() { os.Exit(run()) }

func run() int {
	log := zerolog.New(os.Stderr).With().Timestamp().Logger()
	cfg, level, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "usher:", err)
		return 2
	}
	log = log.Level(level)
	fleet.LogRedisAtDebug(log)
	srv, err := usher.New(cfg, log)
	if err != nil {
		log.Error().Err(err).Str("component", "usher").Msg("cannot start")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx); err != nil {
		log.Error().Err(err).Str("component", "usher").Msg("stopped with error")
		return 1
	}
	return 0
}

// parseConfig builds the configuration from defaults, flags and the
// environment, in that order of precedence (later wins).
func parseConfig(args []string) (usher.Config, zerolog.Level, error) {
	cfg := usher.DefaultConfig()
	fs := flag.NewFlagSet("usher", flag.ContinueOnError)
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "public listen address: redirects, fleet API, /metrics, /healthz")
	fs.StringVar(&cfg.AdminAddr, "admin", cfg.AdminAddr, "admin API listen address (needs -admin-token)")
	fs.StringVar(&cfg.Redis, "redis", cfg.Redis, "redis:// URL or comma list of Sentinel/Cluster addresses; empty starts an embedded miniredis")
	fs.StringVar(&cfg.RedisMaster, "redis-master", cfg.RedisMaster, "Sentinel master name")
	fs.StringVar(&cfg.PublishURL, "publish-url", cfg.PublishURL, "RTMP URL without the stream name that the index page shows broadcasters")
	fs.StringVar(&cfg.DC, "dc", cfg.DC, "datacenter this usher runs in")
	fs.StringVar(&cfg.GeoIPPath, "geoip", cfg.GeoIPPath, "MaxMind-format country database (optional)")
	fs.StringVar(&cfg.ISPTablePath, "isp-table", cfg.ISPTablePath, "ISP routing table file (optional)")
	fs.StringVar(&cfg.LatencyPath, "latency", cfg.LatencyPath, "JSON latency matrix: region → datacenter → ms (optional)")
	fs.BoolVar(&cfg.TrustProxy, "trust-proxy", cfg.TrustProxy, "take the viewer address from the last X-Forwarded-For entry")
	fs.StringVar(&cfg.FleetToken, "fleet-token", cfg.FleetToken, "bearer token of edges and ingest servers (empty: no check, development only)")
	fs.StringVar(&cfg.AdminToken, "admin-token", cfg.AdminToken, "bearer token of the admin API (empty: admin API off)")
	tokenKeys := fs.String("token-keys", "", "playback token keys id:secret[,id:secret...]; the first signs (empty: random, development only)")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", cfg.TokenTTL, "playback token lifetime")
	fs.BoolVar(&cfg.TokenBindIP, "token-bind-ip", cfg.TokenBindIP, "bind playback tokens to the viewer's address")
	fs.StringVar(&cfg.Dials.OverflowURL, "overflow", cfg.Dials.OverflowURL, "overflow CDN URL template with {stream} and {path} (dial overflow_url overrides)")
	fs.Float64Var(&cfg.Dials.Headroom, "headroom", cfg.Dials.Headroom, "fraction of edge capacity to fill (dial headroom overrides)")
	fs.IntVar(&cfg.Dials.FanOut, "fanout", cfg.Dials.FanOut, "children per edge in a replication tree (dial fanout overrides)")
	fs.Float64Var(&cfg.DefaultBitrateMbps, "default-bitrate", cfg.DefaultBitrateMbps, "Mbps assumed for a stream whose origin reports none")
	fs.DurationVar(&cfg.RefreshInterval, "refresh", cfg.RefreshInterval, "snapshot refresh interval")
	fs.DurationVar(&cfg.FlushInterval, "flush", cfg.FlushInterval, "arrival counter flush interval")
	fs.DurationVar(&cfg.PlanInterval, "plan", cfg.PlanInterval, "longest interval between tree plans")
	fs.DurationVar(&cfg.EdgeTimeout, "edge-timeout", cfg.EdgeTimeout, "silence after which an edge leaves placement")
	fs.DurationVar(&cfg.OriginTimeout, "origin-timeout", cfg.OriginTimeout, "silence after which an origin's streams are dropped")
	fs.StringVar(&cfg.InstanceID, "instance", cfg.InstanceID, "instance name for the planner election (empty: random)")
	levelName := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return cfg, 0, err
	}
	if fs.NArg() > 0 {
		return cfg, 0, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := settings.FromEnv(fs); err != nil {
		return cfg, 0, err
	}
	if *tokenKeys != "" {
		keys, current, err := token.ParseKeys(*tokenKeys)
		if err != nil {
			return cfg, 0, err
		}
		cfg.TokenKeys, cfg.TokenKeyID = keys, current
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		return cfg, 0, fmt.Errorf("-log-level: %w", err)
	}
	return cfg, level, cfg.Validate()
}
