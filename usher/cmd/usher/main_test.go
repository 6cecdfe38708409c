package main

import (
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr bool
		check   func(t *testing.T, dc string, edgeTimeout time.Duration, keyID string, admin string)
	}{
		{name: "defaults", check: func(t *testing.T, dc string, et time.Duration, kid, admin string) {
			if et != 3*time.Second || admin != "127.0.0.1:8001" || dc != "" {
				t.Errorf("dc %q timeout %v admin %q", dc, et, admin)
			}
		}},
		{name: "flags", args: []string{"-dc", "fra", "-edge-timeout", "5s", "-token-keys", "k2:0123456789abcdef0"},
			check: func(t *testing.T, dc string, et time.Duration, kid, _ string) {
				if dc != "fra" || et != 5*time.Second || kid != "k2" {
					t.Errorf("dc %q timeout %v key %q", dc, et, kid)
				}
			}},
		{name: "env beats flags", args: []string{"-dc", "fra"}, env: map[string]string{"LIVETREE_DC": "ams", "LIVETREE_ADMIN": "127.0.0.1:9"},
			check: func(t *testing.T, dc string, _ time.Duration, _, admin string) {
				if dc != "ams" || admin != "127.0.0.1:9" {
					t.Errorf("dc %q admin %q", dc, admin)
				}
			}},
		{name: "bad duration", args: []string{"-refresh", "soon"}, wantErr: true},
		{name: "bad env", env: map[string]string{"LIVETREE_HEADROOM": "lots"}, wantErr: true},
		{name: "invalid headroom", args: []string{"-headroom", "1.5"}, wantErr: true},
		{name: "bad token keys", args: []string{"-token-keys", "justasecret"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, _, err := parseConfig(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, cfg.DC, cfg.EdgeTimeout, cfg.TokenKeyID, cfg.AdminAddr)
			}
		})
	}
}
