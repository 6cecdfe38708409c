package main

import (
	"slices"
	"testing"
	"time"

	"github.com/livetree/livetree/cdn"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, cfg cdn.Config)
		err   bool
	}{
		{"defaults", nil, nil, func(t *testing.T, cfg cdn.Config) {
			if cfg.HTTP != ":8081" || cfg.Ushers != nil || cfg.TokenKeys != nil || cfg.ReportInterval != 500*time.Millisecond {
				t.Errorf("got %+v", cfg)
			}
		}, false},
		{"tree mode", []string{"-usher", "http://u1:8000,http://u2:8000", "-public-url", "http://edge2.localhost:8082",
			"-fallbacks", "http://ingest:8080", "-token-keys", "k1:0123456789abcdef"}, nil,
			func(t *testing.T, cfg cdn.Config) {
				if !slices.Equal(cfg.Ushers, []string{"http://u1:8000", "http://u2:8000"}) || cfg.PublicURL != "http://edge2.localhost:8082" {
					t.Errorf("ushers %q public %q", cfg.Ushers, cfg.PublicURL)
				}
				if !slices.Equal(cfg.Fallbacks, []string{"http://ingest:8080"}) || string(cfg.TokenKeys["k1"]) != "0123456789abcdef" {
					t.Errorf("fallbacks %q keys %v", cfg.Fallbacks, cfg.TokenKeys)
				}
				if err := cfg.Validate(); err != nil {
					t.Error(err)
				}
			}, false},
		{"env", []string{"-fleet-token", "flag"}, map[string]string{"LIVETREE_FLEET_TOKEN": "env", "LIVETREE_USHER": "http://usher:8000",
			"LIVETREE_PUBLIC_URL": "http://e:1", "LIVETREE_TOKEN_KEYS": "dev:dev-token-key-0123456789", "LIVETREE_REDIS": "ignored"},
			func(t *testing.T, cfg cdn.Config) {
				if cfg.FleetToken != "env" || len(cfg.Ushers) != 1 || cfg.PublicURL != "http://e:1" || cfg.TokenKeys["dev"] == nil {
					t.Errorf("got %+v", cfg)
				}
			}, false},
		{"bad token keys", []string{"-token-keys", "k1:a,k1:b"}, nil, nil, true},
		{"stray argument", []string{"extra"}, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, _, err := parseConfig(c.args)
			if (err != nil) != c.err {
				t.Fatalf("error %v, want error=%v", err, c.err)
			}
			if c.check != nil {
				c.check(t, cfg)
			}
		})
	}
}
