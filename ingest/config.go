package ingest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// Config configures a Server.
type Config struct {
	// RTMPAddr is the RTMP listen address.
	RTMPAddr string
	// HTTPAddr is the listen address of the HTTP push endpoint, /healthz,
	// /metrics and, when Delivery is set, everything else.
	HTTPAddr string
	// KeysFile names a file of "stream key" lines. Ignored when Keys is set.
	KeysFile string
	// Keys, if set, decides which keys may publish. With none of Keys,
	// KeysFile and Redis every stream is accepted: dev mode.
	Keys KeyChecker
	// Redis, if set, is usher's Redis: stream keys are looked up there too
	// (usher/fleet.KeyChecker), and a key either source accepts may
	// publish. The caller owns the client.
	Redis redis.UniversalClient
	// Ushers are usher base URLs. When set, the server announces the
	// streams it originates, with their measured bitrates, to the first
	// that answers, every RegisterInterval and as soon as a publisher
	// starts.
	Ushers []string
	// RegisterInterval is the time between two announcements to usher.
	RegisterInterval time.Duration
	// PublicURL is the base URL edges pull from, announced to usher.
	// Empty means http://<bound HTTP address>, which only suits a server
	// bound to a specific address.
	PublicURL string
	// FleetToken authenticates the server to usher.
	FleetToken string
	// Linger is how long a stream waits for its publisher to come back
	// before it ends.
	Linger time.Duration
	// ReadTimeout drops a publisher that sends nothing for this long.
	ReadTimeout time.Duration
	// MaxPushBytes caps one HTTP push body.
	MaxPushBytes int64
	// MaxBoxBytes caps one top-level box of a fragmented MP4 push.
	MaxBoxBytes int
	// MaxPublishers caps concurrent publishers over all protocols.
	MaxPublishers int
	// Packager sets how streams are cut into segments and parts.
	Packager packager.Config
	// Delivery, if set, serves every path of the HTTP port that the ingest
	// does not own (/ingest/, /healthz, /metrics): the origin's LL-HLS and
	// LL-DASH routes, /time, and the feed edges pull.
	Delivery fasthttp.RequestHandler
	// Listen, if set, wraps the HTTP listener, as the delivery fast path
	// does; delivery.Listener wraps it otherwise.
	Listen func(net.Listener) (net.Listener, error)
	// Streams, if set, is the set of windows the server fills; New makes
	// one otherwise. Setting it lets Delivery be built before the server.
	Streams *window.Streams
}

// DefaultConfig returns the defaults of the ingest binary.
func DefaultConfig() Config {
	return Config{
		RTMPAddr:      ":1935",
		HTTPAddr:      ":8080",
		Linger:        30 * time.Second,
		ReadTimeout:   10 * time.Second,
		MaxPushBytes:  64 << 30,
		MaxBoxBytes:   maxBoxBytes,
		MaxPublishers: 500,
		Packager:      packager.DefaultConfig(),

		RegisterInterval: time.Second,
	}
}

// Validate reports every setting the server cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.RTMPAddr == "" {
		errs = append(errs, errors.New("RTMP address is empty"))
	}
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("HTTP address is empty"))
	}
	if c.Linger <= 0 {
		errs = append(errs, fmt.Errorf("linger %v must be positive", c.Linger))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, fmt.Errorf("read timeout %v must be positive", c.ReadTimeout))
	}
	if c.MaxPushBytes <= 0 {
		errs = append(errs, fmt.Errorf("max push bytes %d must be positive", c.MaxPushBytes))
	}
	if c.MaxBoxBytes < 1024 || c.MaxBoxBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("max box bytes %d must be between 1 KiB and 1 GiB", c.MaxBoxBytes))
	}
	if c.MaxPublishers <= 0 {
		errs = append(errs, fmt.Errorf("max publishers %d must be positive", c.MaxPublishers))
	}
	if len(c.Ushers) > 0 {
		if c.RegisterInterval <= 0 {
			errs = append(errs, fmt.Errorf("register interval %v must be positive", c.RegisterInterval))
		}
		if c.PublicURL == "" && !specificHost(c.HTTPAddr) {
			errs = append(errs, fmt.Errorf("a public URL is needed to register with usher: HTTP address %q names no host", c.HTTPAddr))
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
	if err := c.Packager.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ingest config: %w", err)
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
