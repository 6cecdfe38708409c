package ingest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
		reason string
		rtmp   string
	}{
		{fmt.Errorf("%w: x", ErrBadName), 400, "bad_name", "NetStream.Publish.BadName"},
		{fmt.Errorf("%w for stream x", ErrBadKey), 403, "bad_key", "NetStream.Publish.Unauthorized"},
		{fmt.Errorf("%w: x", ErrBusy), 409, "busy", "NetStream.Publish.BadName"},
		{ErrTooManyPublishers, 503, "too_many_publishers", "NetStream.Publish.Rejected"},
		{ErrShutdown, 503, "shutdown", "NetStream.Publish.Rejected"},
		{ErrUnsupportedCodec, 415, "unsupported_codec", "NetStream.Publish.Rejected"},
		{ErrUnsupportedFormat, 415, "unsupported_format", "NetStream.Play.Failed"},
		{ErrBadMedia, 400, "bad_media", "NetStream.Publish.Rejected"},
		{ErrTooLarge, 413, "too_large", "NetStream.Publish.Rejected"},
		{ErrTimeout, 408, "timeout", "NetStream.Publish.Rejected"},
		{ErrMethod, 405, "method", "NetStream.Publish.Rejected"},
		// A wrapper adding context keeps the first classification.
		{fmt.Errorf("%w: MPEG-TS: %w", ErrBadMedia, ErrTimeout), 400, "bad_media", "NetStream.Publish.Rejected"},
		{errors.New("boom"), 500, "other", "NetStream.Publish.Rejected"},
	}
	for _, c := range cases {
		t.Run(c.err.Error(), func(t *testing.T) {
			if got := httpStatus(c.err); got != c.status {
				t.Errorf("httpStatus = %d, want %d", got, c.status)
			}
			if got := reason(c.err); got != c.reason {
				t.Errorf("reason = %s, want %s", got, c.reason)
			}
			if got := rtmpStatusCode(c.err); got != c.rtmp {
				t.Errorf("RTMP code = %s, want %s", got, c.rtmp)
			}
		})
	}
	if httpStatus(nil) != 200 {
		t.Error("nil is not 200")
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{`invalid connect command: {tcUrl rtmp://h/live?key=s3cret&x=1}`, `invalid connect command: {tcUrl rtmp://h/live?key=REDACTED&x=1}`},
		{`parse "rtmp://h/live/a?KEY=abc": bad`, `parse "rtmp://h/live/a?KEY=REDACTED": bad`},
		{`no key here`, `no key here`},
	}
	for _, c := range cases {
		if got := redact(errors.New(c.in)); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(redact(errors.New(c.in)), "s3cret") {
			t.Error("key survived")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no RTMP address", func(c *Config) { c.RTMPAddr = "" }, false},
		{"no HTTP address", func(c *Config) { c.HTTPAddr = "" }, false},
		{"zero linger", func(c *Config) { c.Linger = 0 }, false},
		{"zero read timeout", func(c *Config) { c.ReadTimeout = 0 }, false},
		{"zero push cap", func(c *Config) { c.MaxPushBytes = 0 }, false},
		{"tiny box cap", func(c *Config) { c.MaxBoxBytes = 10 }, false},
		{"no publishers", func(c *Config) { c.MaxPublishers = 0 }, false},
		{"bad packager", func(c *Config) { c.Packager.PartTarget = 0 }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.mod(&cfg)
			if err := cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
	if _, err := New(Config{}, zerolog.Nop()); err == nil {
		t.Error("New accepted an empty config")
	}
}
