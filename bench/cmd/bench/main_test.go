package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    string
		wantErr    string
	}{
		{"no mode", nil, exitUsage, "", "modes:"},
		{"help", []string{"-h"}, 0, "", "sim "},
		{"unknown mode", []string{"dance"}, exitUsage, "", `unknown mode "dance"`},
		{"sim runs", []string{"sim", "-quiet", "-duration", "20s", "-warmup", "5s", "-edges", "4", "-dcs", "2", "-streams", "20",
			"-mean-gbps", "1", "-peak-gbps", "2", "-surges", "0"}, 0, "edge checks past capacity", ""},
		{"sim flag error", []string{"sim", "-edges", "x"}, exitUsage, "", "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tc.args, &stdout, &stderr); got != tc.wantStatus {
				t.Fatalf("status %d, want %d\nstderr: %s", got, tc.wantStatus, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q: %s", tc.wantOut, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, stderr.String())
			}
		})
	}
}
