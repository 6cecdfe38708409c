package cdn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// Config configures an Edge.
type Config struct {
	// HTTP is the listen address for viewers, child edges, /metrics,
	// /healthz and /admin/drain.
	HTTP string
	// Parent is the base URL of the static parent, origin or edge. Picker
	// overrides it.
	Parent string
	// Fallbacks are the parents tried, in order, after the picked one
	// fails: typically the origin.
	Fallbacks []string
	// Picker chooses a stream's parent: when nil, a StaticPicker of Parent,
	// or with Ushers and no Parent, usher (tree mode).
	Picker ParentPicker
	// Ushers are usher base URLs. When set, the edge reports its load to
	// the first that answers every ReportInterval, drains while usher asks
	// it to, and, unless Parent pins its parent, asks usher whom to pull
	// each stream from and switches when usher's plan changes.
	Ushers []string
	// ReportInterval is the time between two load reports to usher.
	ReportInterval time.Duration
	// PublicURL is the base URL viewers and child edges reach this edge at,
	// reported to usher. Empty means http://<listen address>, which only
	// suits an edge listening on a specific address.
	PublicURL string
	// FleetToken authenticates the edge to usher and to its parents, and
	// child edges to this one: when set, a feed request must carry it.
	FleetToken string
	// TokenKeys, when set, are the playback token keys (ID → secret) every
	// viewer request for /live/{stream}/... must carry a token of, valid
	// for that stream (package usher/token).
	TokenKeys map[string][]byte
	// ID names the edge in X-Livetree-Hop and in load reports. Defaults to
	// the host name.
	ID string
	// DC is the data centre the edge runs in, for usher's placement.
	DC string
	// CapacityMbps is the egress the edge may serve, reported to usher.
	CapacityMbps float64
	// IdleTimeout drops a stream that has had no viewer request and no
	// child feed for this long, with its upstream connection.
	IdleTimeout time.Duration
	// EndedLinger drops an ended stream this long after its end, even with
	// viewers, so that a stream that starts again under the same name is
	// pulled afresh.
	EndedLinger time.Duration
	// MaxRAM caps the bytes of media held over all streams; over it, the
	// least recently watched stream is dropped first. 0 disables the cap.
	MaxRAM int64
	// MaxWindow caps the media a stream keeps, whatever the parent's
	// window span is.
	MaxWindow time.Duration
	// StallTimeout fails over from a parent that sent no byte (heartbeats
	// included) for this long: about one part duration.
	StallTimeout time.Duration
	// ConnectTimeout bounds connecting to a parent and receiving the feed
	// header. A parent edge that does not hold the stream yet pulls it
	// first, so this exceeds ReadyTimeout.
	ConnectTimeout time.Duration
	// ReadyTimeout bounds how long a first request for a stream waits for
	// its first segments.
	ReadyTimeout time.Duration
	// Heartbeat is the longest silence on a feed this edge serves.
	Heartbeat time.Duration
	// RetryMax bounds the pause between two full rounds of failed parents.
	RetryMax time.Duration
	// ViewerWindow is how recently a client must have asked for a stream
	// to count as one of its viewers.
	ViewerWindow time.Duration
	// DrainTimeout bounds a drain: the edge exits when its viewers have left
	// or when this much time has passed.
	DrainTimeout time.Duration
	// AdminToken authorises POST /admin/drain (Authorization: Bearer
	// <token>). Empty disables the endpoint.
	AdminToken string
}

// DefaultConfig returns the defaults of the cdn binary.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		HTTP:           ":8081",
		ID:             host,
		CapacityMbps:   1000,
		IdleTimeout:    30 * time.Second,
		EndedLinger:    10 * time.Second,
		MaxRAM:         2 << 30,
		MaxWindow:      30 * time.Second,
		StallTimeout:   200 * time.Millisecond,
		ConnectTimeout: 3 * time.Second,
		ReadyTimeout:   2 * time.Second,
		Heartbeat:      100 * time.Millisecond,
		RetryMax:       time.Second,
		ViewerWindow:   5 * time.Second,
		DrainTimeout:   30 * time.Second,
		ReportInterval: 500 * time.Millisecond,
	}
}

// Validate reports every setting the edge cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.HTTP == "" {
		errs = append(errs, errors.New("HTTP address is empty"))
	}
	if c.Parent == "" && c.Picker == nil && len(c.Fallbacks) == 0 && len(c.Ushers) == 0 {
		errs = append(errs, errors.New("no parent: set a parent, a picker, usher or fallbacks"))
	}
	for _, u := range append([]string{c.Parent}, c.Fallbacks...) {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("parent %q is not an http(s) base URL", u))
		}
	}
	if len(c.Ushers) > 0 {
		if c.PublicURL == "" && !specificHost(c.HTTP) {
			errs = append(errs, fmt.Errorf("a public URL is needed to report to usher: HTTP address %q names no host", c.HTTP))
		}
		if c.ReportInterval <= 0 {
			errs = append(errs, fmt.Errorf("report interval %v must be positive", c.ReportInterval))
		}
	}
	for _, u := range append([]string{c.PublicURL}, c.Ushers...) {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%q is not an http(s) base URL", u))
		}
	}
	if len(c.TokenKeys) > 0 {
		if _, err := NewAccess(c.TokenKeys, ""); err != nil {
			errs = append(errs, err)
		}
	}
	if c.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if c.CapacityMbps <= 0 {
		errs = append(errs, fmt.Errorf("capacity %v Mb/s must be positive", c.CapacityMbps))
	}
	if c.MaxRAM < 0 {
		errs = append(errs, fmt.Errorf("max RAM %d is negative", c.MaxRAM))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"idle timeout", c.IdleTimeout}, {"ended linger", c.EndedLinger}, {"max window", c.MaxWindow},
		{"stall timeout", c.StallTimeout}, {"connect timeout", c.ConnectTimeout}, {"ready timeout", c.ReadyTimeout},
		{"heartbeat", c.Heartbeat}, {"retry max", c.RetryMax}, {"viewer window", c.ViewerWindow},
		{"drain timeout", c.DrainTimeout},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %v must be positive", d.name, d.v))
		}
	}
	if c.Heartbeat >= c.StallTimeout {
		errs = append(errs, fmt.Errorf("heartbeat %v must be shorter than the stall timeout %v", c.Heartbeat, c.StallTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// specificHost reports whether a listen address names a host other than
// the unspecified one, so that it can be reached at that address.
func specificHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return false
	}
	return true
}
