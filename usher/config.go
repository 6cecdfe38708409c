package usher

import (
	"errors"
	"fmt"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

// Config configures a Server. Start from DefaultConfig.
type Config struct {
	// HTTPAddr serves viewers' redirects, the fleet API, /metrics and
	// /healthz.
	HTTPAddr string
	// AdminAddr serves the admin API; it is only started when AdminToken
	// is set.
	AdminAddr string
	// Redis is a redis:// URL or a comma list of Sentinel or Cluster
	// addresses; empty starts an embedded miniredis (development only).
	Redis string
	// RedisMaster is the Sentinel master name, when Redis lists sentinels.
	RedisMaster string

	// PublishURL is the RTMP URL, without the stream name, that the index
	// page tells broadcasters to publish to, e.g. rtmp://ingest:1935/live.
	PublishURL string

	// DC is the datacenter this usher runs in; viewers get a small bonus
	// for edges there.
	DC string
	// GeoIPPath is an optional MaxMind-format country database.
	GeoIPPath string
	// ISPTablePath is an optional ISP routing table (see geo.ParseLine).
	ISPTablePath string
	// LatencyPath is an optional JSON file of viewer region → datacenter →
	// round-trip milliseconds.
	LatencyPath string
	// Latency is the matrix itself; LatencyPath, when set, replaces it.
	Latency map[string]map[string]float64
	// TrustProxy takes the viewer's address from the last X-Forwarded-For
	// entry, for an usher behind one trusted load balancer.
	TrustProxy bool

	// FleetToken authenticates edges and ingest servers on the fleet API.
	// Empty accepts anyone, which only suits development.
	FleetToken string
	// AdminToken authenticates the admin API; empty disables it.
	AdminToken string

	// TokenKeys are the playback token keys (ID → secret of at least 16
	// bytes) and TokenKeyID the one that signs. With no keys a random one
	// is made, which only suits development: edges cannot verify it.
	TokenKeys  map[string][]byte
	TokenKeyID string
	// TokenTTL is how long a playback token stays valid.
	TokenTTL time.Duration
	// TokenBindIP binds each token to the viewer's address.
	TokenBindIP bool

	// Dials are the placement dials in force when Redis holds none; fields
	// present in the Redis "dials" hash override them.
	Dials placement.Dials
	// DefaultBitrateMbps is assumed for a stream whose origin reports none.
	DefaultBitrateMbps float64

	// RefreshInterval is how often the snapshot is rebuilt from Redis.
	RefreshInterval time.Duration
	// FlushInterval is how often counted arrivals are written to Redis.
	FlushInterval time.Duration
	// PlanInterval is the longest time between two tree plans; a surge
	// of arrivals triggers one sooner.
	PlanInterval time.Duration
	// EdgeTimeout is how long an edge may stay silent before it leaves
	// placement (it becomes Dials.StaleAfter).
	EdgeTimeout time.Duration
	// OriginTimeout is how long an origin's streams stay after its last
	// report.
	OriginTimeout time.Duration
	// VelocityWindow is the sliding window arrival velocity is measured
	// over, ViewerWindow the one recent arrivals are counted as viewers
	// over (edges report the rest).
	VelocityWindow time.Duration
	ViewerWindow   time.Duration

	// InstanceID names this usher in the planner election; empty makes a
	// random one.
	InstanceID string
}

// DefaultConfig returns the settings of the usher binary.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:           ":8000",
		AdminAddr:          "127.0.0.1:8001",
		TokenTTL:           12 * time.Hour,
		Dials:              placement.DefaultDials(),
		DefaultBitrateMbps: 5,
		RefreshInterval:    200 * time.Millisecond,
		FlushInterval:      200 * time.Millisecond,
		PlanInterval:       time.Second,
		EdgeTimeout:        3 * time.Second,
		OriginTimeout:      5 * time.Second,
		VelocityWindow:     5 * time.Second,
		ViewerWindow:       10 * time.Second,
	}
}

// Validate reports every setting the server cannot run with.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.HTTPAddr == "" {
		bad("HTTP address is empty")
	}
	if c.AdminToken != "" && c.AdminAddr == "" {
		bad("an admin token is set but the admin address is empty")
	}
	if len(c.TokenKeys) > 0 {
		if _, ok := c.TokenKeys[c.TokenKeyID]; !ok {
			bad("token key ID %q is not among the token keys", c.TokenKeyID)
		}
	}
	positive := map[string]time.Duration{
		"token TTL":        c.TokenTTL,
		"refresh interval": c.RefreshInterval,
		"flush interval":   c.FlushInterval,
		"plan interval":    c.PlanInterval,
		"edge timeout":     c.EdgeTimeout,
		"origin timeout":   c.OriginTimeout,
		"velocity window":  c.VelocityWindow,
		"viewer window":    c.ViewerWindow,
	}
	for name, d := range positive {
		if d <= 0 {
			bad("%s %v must be positive", name, d)
		}
	}
	if c.VelocityWindow > bucketHistory || c.ViewerWindow > bucketHistory {
		bad("velocity and viewer windows must not exceed %v", bucketHistory)
	}
	if !(c.DefaultBitrateMbps > 0) {
		bad("default bitrate %v must be positive", c.DefaultBitrateMbps)
	}
	d := c.Dials
	d.StaleAfter = c.EdgeTimeout
	if err := d.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}
