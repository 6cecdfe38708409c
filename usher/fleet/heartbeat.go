package fleet

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// HeartbeaterConfig configures a Heartbeater.
type HeartbeaterConfig struct {
	// Ushers are usher base URLs, e.g. "http://usher:8000"; the first that
	// answers is used until it fails.
	Ushers []string
	// Token is the fleet token.
	Token string
	// Interval between heartbeats; 0 means 500 ms. Usher forgets an edge
	// silent for 3 s.
	Interval time.Duration
	// Load returns the edge's current load; it is called once per beat.
	Load func() Load
	// OnReply, if set, is called with every answer, from Run's goroutine.
	OnReply func(Reply)
	// Client, if set, sends the requests.
	Client *http.Client
}

// Heartbeater reports an edge's load to usher at a fixed interval and
// remembers whether usher asked the edge to drain.
type Heartbeater struct {
	cfg   HeartbeaterConfig
	c     *caller
	log   zerolog.Logger
	drain atomic.Bool // usher's last answer asked to drain
}

// NewHeartbeater checks cfg and returns a Heartbeater; Run starts it.
func NewHeartbeater(cfg HeartbeaterConfig, log zerolog.Logger) (*Heartbeater, error) {
	if cfg.Load == nil {
		return nil, errors.New("fleet: heartbeater needs a Load function")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	c, err := newCaller(cfg.Ushers, cfg.Token, cfg.Client)
	if err != nil {
		return nil, err
	}
	return &Heartbeater{cfg: cfg, c: c, log: log.With().Str("component", "heartbeat").Logger()}, nil
}

// Beat sends one heartbeat now and returns usher's answer.
func (h *Heartbeater) Beat(ctx context.Context) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, max(h.cfg.Interval*2, time.Second))
	defer cancel()
	var r Reply
	if err := h.c.do(ctx, http.MethodPost, PathHeartbeat, h.cfg.Load(), &r); err != nil {
		return Reply{}, err
	}
	if r.Drain && !h.drain.Swap(true) {
		h.log.Info().Msg("usher asks this edge to drain")
	} else if !r.Drain && h.drain.Swap(false) {
		h.log.Info().Msg("usher no longer asks this edge to drain")
	}
	return r, nil
}

// Drain reports whether usher's last answer asked the edge to drain.
func (h *Heartbeater) Drain() bool { return h.drain.Load() }

// Run beats every Interval until ctx ends. Failures are logged when they
// start and when they stop, not at every beat.
func (h *Heartbeater) Run(ctx context.Context) error {
	t := time.NewTicker(h.cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		r, err := h.Beat(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			failing = true
			h.log.Warn().Err(err).Msg("heartbeat failed")
		case err == nil:
			if failing {
				failing = false
				h.log.Info().Msg("heartbeat recovered")
			}
			if h.cfg.OnReply != nil {
				h.cfg.OnReply(r)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
