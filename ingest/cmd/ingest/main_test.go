package main

import (
	"slices"
	"testing"
	"time"

	"github.com/livetree/livetree/ingest"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, cfg ingest.Config, opts options)
		err   bool
	}{
		{"defaults", nil, nil, func(t *testing.T, cfg ingest.Config, opts options) {
			if cfg.RTMPAddr != ":1935" || cfg.HTTPAddr != ":8080" || cfg.Linger != 30*time.Second || cfg.MaxPublishers != 500 {
				t.Errorf("got %s %s %v %d", cfg.RTMPAddr, cfg.HTTPAddr, cfg.Linger, cfg.MaxPublishers)
			}
			if cfg.Ushers != nil || cfg.FleetToken != "" || opts.redis != "" || opts.tokenKeys != nil {
				t.Errorf("fleet settings without flags: %+v %+v", cfg, opts)
			}
		}, false},
		{"flags", []string{"-rtmp", "127.0.0.1:1", "-linger", "5s"}, nil,
			func(t *testing.T, cfg ingest.Config, _ options) {
				if cfg.RTMPAddr != "127.0.0.1:1" || cfg.Linger != 5*time.Second {
					t.Errorf("got %s %v", cfg.RTMPAddr, cfg.Linger)
				}
			}, false},
		{"env over flags", []string{"-max-publishers", "7"}, map[string]string{"LIVETREE_MAX_PUBLISHERS": "9", "LIVETREE_HTTP": ":1"},
			func(t *testing.T, cfg ingest.Config, _ options) {
				if cfg.MaxPublishers != 9 || cfg.HTTPAddr != ":1" {
					t.Errorf("got %s %d", cfg.HTTPAddr, cfg.MaxPublishers)
				}
			}, false},
		{"fleet flags", []string{"-usher", "http://u1:8000, http://u2:8000", "-public-url", "http://ingest:8080",
			"-redis", "redis://r:6379/0", "-token-keys", "a:0123456789abcdef,b:fedcba9876543210"}, nil,
			func(t *testing.T, cfg ingest.Config, opts options) {
				if !slices.Equal(cfg.Ushers, []string{"http://u1:8000", "http://u2:8000"}) || cfg.PublicURL != "http://ingest:8080" {
					t.Errorf("ushers %q public %q", cfg.Ushers, cfg.PublicURL)
				}
				if opts.redis != "redis://r:6379/0" || len(opts.tokenKeys) != 2 || string(opts.tokenKeys["b"]) != "fedcba9876543210" {
					t.Errorf("options %+v", opts)
				}
			}, false},
		{"fleet env", nil, map[string]string{"LIVETREE_FLEET_TOKEN": "ft", "LIVETREE_USHER": "http://usher.localhost:8000",
			"LIVETREE_TOKEN_KEYS": "dev:dev-token-key-0123456789", "LIVETREE_REDIS": "redis://redis:6379/0"},
			func(t *testing.T, cfg ingest.Config, opts options) {
				if cfg.FleetToken != "ft" || len(cfg.Ushers) != 1 || opts.redis == "" || opts.tokenKeys["dev"] == nil {
					t.Errorf("got %+v %+v", cfg, opts)
				}
			}, false},
		{"bad token keys", []string{"-token-keys", "nocolon"}, nil, nil, true},
		{"bad env", nil, map[string]string{"LIVETREE_LINGER": "soon"}, nil, true},
		{"bad flag", []string{"-nope"}, nil, nil, true},
		{"stray argument", []string{"extra"}, nil, nil, true},
		{"bad log level", []string{"-log-level", "loud"}, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, opts, _, err := parseConfig(c.args)
			if (err != nil) != c.err {
				t.Fatalf("error %v, want error=%v", err, c.err)
			}
			if c.check != nil {
				c.check(t, cfg, opts)
			}
		})
	}
}
