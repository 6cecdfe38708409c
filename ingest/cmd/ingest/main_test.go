package main

import (
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, rtmp, http string, linger time.Duration, maxPub int)
		err   bool
	}{
		{"defaults", nil, nil, func(t *testing.T, rtmp, http string, linger time.Duration, maxPub int) {
			if rtmp != ":1935" || http != ":8080" || linger != 30*time.Second || maxPub != 500 {
				t.Errorf("got %s %s %v %d", rtmp, http, linger, maxPub)
			}
		}, false},
		{"flags", []string{"-rtmp", "127.0.0.1:1", "-linger", "5s"}, nil,
			func(t *testing.T, rtmp, _ string, linger time.Duration, _ int) {
				if rtmp != "127.0.0.1:1" || linger != 5*time.Second {
					t.Errorf("got %s %v", rtmp, linger)
				}
			}, false},
		{"env over flags", []string{"-max-publishers", "7"}, map[string]string{"LIVETREE_MAX_PUBLISHERS": "9", "LIVETREE_HTTP": ":1"},
			func(t *testing.T, _, http string, _ time.Duration, maxPub int) {
				if maxPub != 9 || http != ":1" {
					t.Errorf("got %s %d", http, maxPub)
				}
			}, false},
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
			cfg, _, err := parseConfig(c.args)
			if (err != nil) != c.err {
				t.Fatalf("error %v, want error=%v", err, c.err)
			}
			if c.check != nil {
				c.check(t, cfg.RTMPAddr, cfg.HTTPAddr, cfg.Linger, cfg.MaxPublishers)
			}
		})
	}
}
