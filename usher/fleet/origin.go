package fleet

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// OriginRegistrarConfig configures an OriginRegistrar.
type OriginRegistrarConfig struct {
	// Ushers are usher base URLs, as for HeartbeaterConfig.
	Ushers []string
	// Token is the fleet token.
	Token string
	// URL is the origin's base URL, the one edges pull from.
	URL string
	// Interval between reports; 0 means 1 s. Usher forgets an origin's
	// streams some seconds after its last report.
	Interval time.Duration
	// Streams returns the streams the origin holds now.
	Streams func() []OriginStream
	// Client, if set, sends the requests.
	Client *http.Client
}

// OriginRegistrar announces an ingest server's streams to usher at a fixed
// interval, and at once after Kick.
type OriginRegistrar struct {
	cfg  OriginRegistrarConfig
	c    *caller
	log  zerolog.Logger
	kick chan struct{}
}

// NewOriginRegistrar checks cfg and returns an OriginRegistrar; Run starts
// it.
func NewOriginRegistrar(cfg OriginRegistrarConfig, log zerolog.Logger) (*OriginRegistrar, error) {
	if cfg.Streams == nil || cfg.URL == "" {
		return nil, errors.New("fleet: origin registrar needs a URL and a Streams function")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	c, err := newCaller(cfg.Ushers, cfg.Token, cfg.Client)
	if err != nil {
		return nil, err
	}
	return &OriginRegistrar{
		cfg:  cfg,
		c:    c,
		log:  log.With().Str("component", "origin-registrar").Logger(),
		kick: make(chan struct{}, 1),
	}, nil
}

// Register sends one report now.
func (r *OriginRegistrar) Register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(r.cfg.Interval*2, time.Second))
	defer cancel()
	rep := OriginReport{URL: r.cfg.URL, Streams: r.cfg.Streams()}
	if rep.Streams == nil {
		rep.Streams = []OriginStream{}
	}
	return r.c.do(ctx, http.MethodPost, PathOrigin, rep, nil)
}

// Kick makes Run report at once, e.g. when a stream starts, so viewers can
// find it without waiting for the next interval. It never blocks.
func (r *OriginRegistrar) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run reports every Interval, and after each Kick, until ctx ends.
func (r *OriginRegistrar) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		err := r.Register(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			failing = true
			r.log.Warn().Err(err).Msg("origin registration failed")
		case err == nil && failing:
			failing = false
			r.log.Info().Msg("origin registration recovered")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.kick:
		}
	}
}
