package play

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Protocol is the kind of player a viewer runs.
type Protocol string

// Players.
const (
	// LLHLS is a low-latency HLS player: blocking reloads and preload hints.
	LLHLS Protocol = "llhls"
	// DASH is a low-latency DASH player: the segment being written, chunked.
	DASH Protocol = "dash"
	// Segments is a plain HLS player: whole segments only.
	Segments Protocol = "segments"
)

// protocols lists the players; a player's index here keys per-player
// statistics.
var protocols = [...]Protocol{LLHLS, DASH, Segments}

// index returns p's index in protocols.
func (p Protocol) index() int {
	for i, q := range protocols {
		if q == p {
			return i
		}
	}
	return 0
}

// Share is a protocol's weight in the viewer mix.
type Share struct {
	Proto  Protocol
	Weight float64
}

// Pattern is how viewers arrive.
type Pattern string

// Arrival patterns.
const (
	// AllAtOnce starts every viewer at once.
	AllAtOnce Pattern = "all"
	// Ramp starts viewers at an even rate over Config.Ramp.
	Ramp Pattern = "ramp"
	// Flash starts viewers as a flash crowd over Config.Ramp: the arrival
	// rate climbs to a peak a fifth of the way in and then decays.
	Flash Pattern = "flash"
)

// Config sets up a Runner. DefaultConfig fills every field but URLs.
type Config struct {
	// URLs are where viewers start: usher, an edge or the origin, e.g.
	// http://127.0.0.1:8080/live/{stream}/index.m3u8. {stream} is replaced
	// by each of Streams. A DASH viewer asks for manifest.mpd where the
	// URL names index.m3u8, and an HLS viewer the reverse.
	URLs []string
	// Streams are the stream names put in the URLs; viewers are spread
	// evenly over them.
	Streams []string
	// Viewers is the number of viewers.
	Viewers int
	// Mix is the share of each player among the viewers.
	Mix []Share
	// Arrival is how viewers arrive, over Ramp.
	Arrival Pattern
	Ramp    time.Duration
	// Duration is the whole run, from the first arrival.
	Duration time.Duration
	// Seed orders the arrivals: the same seed gives the same order.
	Seed uint64
	// StartAfter is the media a player buffers before playback starts,
	// and again after a stall before it resumes.
	StartAfter time.Duration
	// Audio makes HLS and DASH viewers fetch the audio rendition too, on
	// a connection of its own, as a real player does; playback then needs
	// both buffered.
	Audio bool
	// Skip makes LL-HLS viewers ask for delta playlists (_HLS_skip=YES)
	// when the server offers them.
	Skip bool
	// Timeout bounds a request, a blocking one included.
	Timeout time.Duration
	// Retry is how long a viewer waits after an error before it tries
	// again.
	Retry time.Duration
	// MaxRedirects bounds the redirects a viewer follows.
	MaxRedirects int
	// Sample is the resolution of the time series.
	Sample time.Duration
}

// DefaultConfig returns 100 LL-HLS viewers arriving over 10 s and
// watching for 60 s, starting playback with 500 ms buffered.
func DefaultConfig() Config {
	return Config{
		Streams:      []string{"bench0"},
		Viewers:      100,
		Mix:          []Share{{LLHLS, 1}},
		Arrival:      Ramp,
		Ramp:         10 * time.Second,
		Duration:     60 * time.Second,
		Seed:         1,
		StartAfter:   500 * time.Millisecond,
		Skip:         true,
		Timeout:      6 * time.Second,
		Retry:        time.Second,
		MaxRedirects: 5,
		Sample:       time.Second,
	}
}

// Validate reports every setting the runner cannot work with.
func (c Config) Validate() error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, errors.New("no URL"))
	}
	for _, u := range c.URLs {
		p, err := url.Parse(strings.ReplaceAll(u, "{stream}", "x"))
		if err != nil || p.Scheme != "http" || p.Host == "" {
			errs = append(errs, fmt.Errorf("URL %q is not http://host/path", u))
		}
	}
	if len(c.Streams) == 0 {
		errs = append(errs, errors.New("no stream"))
	}
	if c.Viewers <= 0 {
		errs = append(errs, fmt.Errorf("viewers %d must be positive", c.Viewers))
	}
	if len(c.Mix) == 0 {
		errs = append(errs, errors.New("empty player mix"))
	}
	for _, s := range c.Mix {
		switch {
		case s.Proto != LLHLS && s.Proto != DASH && s.Proto != Segments:
			errs = append(errs, fmt.Errorf("unknown player %q", s.Proto))
		case !(s.Weight > 0):
			errs = append(errs, fmt.Errorf("player %q has weight %v", s.Proto, s.Weight))
		}
	}
	switch c.Arrival {
	case AllAtOnce, Ramp, Flash:
	default:
		errs = append(errs, fmt.Errorf("unknown arrival pattern %q", c.Arrival))
	}
	if c.Ramp < 0 || c.Duration <= 0 || c.Ramp > c.Duration {
		errs = append(errs, fmt.Errorf("ramp %v and duration %v: need 0 <= ramp <= duration", c.Ramp, c.Duration))
	}
	if c.StartAfter <= 0 || c.Timeout <= 0 || c.Retry <= 0 || c.Sample <= 0 {
		errs = append(errs, errors.New("start buffer, timeout, retry and sample must be positive"))
	}
	if c.MaxRedirects < 0 {
		errs = append(errs, fmt.Errorf("max redirects %d is negative", c.MaxRedirects))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// ParseMix parses a player mix such as "llhls", "llhls,dash" (equal
// shares) or "llhls:8,dash:1,segments:1".
func ParseMix(s string) ([]Share, error) {
	var out []Share
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, w, hasW := strings.Cut(item, ":")
		sh := Share{Proto: Protocol(strings.ToLower(name)), Weight: 1}
		if hasW {
			v, err := strconv.ParseFloat(w, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: weight %q", ErrConfig, w)
			}
			sh.Weight = v
		}
		out = append(out, sh)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty player mix", ErrConfig)
	}
	return out, nil
}

// ExpandStreams turns "bench{0..3},other" into bench0, bench1, bench2,
// bench3 and other.
func ExpandStreams(s string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		open := strings.IndexByte(item, '{')
		if open < 0 {
			out = append(out, item)
			continue
		}
		end := strings.IndexByte(item[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%w: unclosed brace in %q", ErrConfig, item)
		}
		lo, hi, ok := strings.Cut(item[open+1:open+end], "..")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a > b || b-a > 100000 {
			return nil, fmt.Errorf("%w: bad range in %q", ErrConfig, item)
		}
		for i := a; i <= b; i++ {
			out = append(out, item[:open]+strconv.Itoa(i)+item[open+end+1:])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no stream", ErrConfig)
	}
	return out, nil
}
