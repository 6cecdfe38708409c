// Command cdn runs a livetree edge: it pulls streams from a parent (the
// origin or another edge) and serves them to viewers and child edges.
//
// Settings come from defaults, then flags, then LIVETREE_* environment
// variables (the flag name upper-cased, dashes as underscores: -stall-timeout
// is LIVETREE_STALL_TIMEOUT). The admin token is read from
// LIVETREE_ADMIN_TOKEN only, so that it never shows in a process list;
// the fleet token and the token keys are best passed as
// LIVETREE_FLEET_TOKEN and LIVETREE_TOKEN_KEYS for the same reason.
//
// With -usher, the edge reports its load to usher and follows its drain
// requests; without -parent it also asks usher whom to pull each stream
// from (tree mode), trying -fallbacks when that parent fails.
//
// SIGINT stops at once; SIGTERM drains: the edge takes no new viewers and
// exits once the current ones have left or the drain timeout has passed.
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
	"github.com/livetree/livetree/internal/settings"
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
		fmt.Fprintln(os.Stderr, "cdn:", err)
		return 2
	}
	log = log.Level(level)
	edge, err := cdn.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdn:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-term:
			edge.Drain()
		case <-done:
		}
	}()
	if err := edge.Run(ctx); err != nil {
		log.Error().Err(err).Str("component", "cdn").Msg("stopped with error")
		return 1
	}
	return 0
}

// parseConfig builds the configuration from defaults, flags and the
// environment, in that order of precedence (later wins).
func parseConfig(args []string) (cdn.Config, zerolog.Level, error) {
	cfg := cdn.DefaultConfig()
	fs := flag.NewFlagSet("cdn", flag.ContinueOnError)
	fs.StringVar(&cfg.HTTP, "http", cfg.HTTP, "HTTP listen address (viewers, child edges, /metrics, /healthz)")
	fs.StringVar(&cfg.Parent, "parent", cfg.Parent, "base URL of the parent, origin or edge, e.g. http://origin:8080")
	fallbacks := fs.String("fallbacks", "", "comma-separated base URLs tried after the parent fails, e.g. the origin")
	fs.StringVar(&cfg.ID, "id", cfg.ID, "edge id, sent in X-Livetree-Hop")
	fs.StringVar(&cfg.DC, "dc", cfg.DC, "data centre of the edge")
	fs.Float64Var(&cfg.CapacityMbps, "capacity-mbps", cfg.CapacityMbps, "egress capacity in Mb/s, reported to usher")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "drop a stream without viewers or child edges after this long")
	fs.DurationVar(&cfg.EndedLinger, "ended-linger", cfg.EndedLinger, "drop an ended stream this long after its end")
	fs.Int64Var(&cfg.MaxRAM, "max-ram", cfg.MaxRAM, "bytes of media held over all streams; least recently watched dropped first (0: no cap)")
	fs.DurationVar(&cfg.MaxWindow, "max-window", cfg.MaxWindow, "media kept per stream at most")
	fs.DurationVar(&cfg.StallTimeout, "stall-timeout", cfg.StallTimeout, "fail over from a parent silent for this long")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", cfg.ConnectTimeout, "bound on connecting to a parent and getting the feed header")
	fs.DurationVar(&cfg.ReadyTimeout, "ready-timeout", cfg.ReadyTimeout, "how long a first request waits for a stream's first segments")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", cfg.Heartbeat, "longest silence on a feed served to a child edge")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "exit a drain after this long even with viewers left")
	fs.DurationVar(&cfg.ViewerWindow, "viewer-window", cfg.ViewerWindow, "a client counts as a viewer for this long after its last request")
	ushers := fs.String("usher", "", "comma-separated usher base URLs to report load to; without -parent, usher also picks each stream's parent")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "base URL viewers and child edges reach this edge at, reported to usher")
	fs.StringVar(&cfg.FleetToken, "fleet-token", cfg.FleetToken, "bearer token towards usher and parents, required from child edges (empty: no check)")
	tokenKeys := fs.String("token-keys", "", "playback token keys id:secret[,id:secret...]; when set, viewers need a token usher signed (empty: no check)")
	fs.DurationVar(&cfg.ReportInterval, "report-interval", cfg.ReportInterval, "time between two load reports to usher")
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
	cfg.AdminToken = os.Getenv("LIVETREE_ADMIN_TOKEN")
	cfg.Fallbacks = settings.List(*fallbacks)
	cfg.Ushers = settings.List(*ushers)
	if *tokenKeys != "" {
		keys, _, err := token.ParseKeys(*tokenKeys)
		if err != nil {
			return cfg, 0, fmt.Errorf("-token-keys: %w", err)
		}
		cfg.TokenKeys = keys
	}
	level, err := zerolog.ParseLevel(*levelName)
	if err != nil {
		return cfg, 0, fmt.Errorf("-log-level: %w", err)
	}
	return cfg, level, nil
}
