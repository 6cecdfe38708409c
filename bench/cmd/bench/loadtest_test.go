package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

// TestLoadModes checks the play and push modes' flags and exit statuses;
// their runs against real servers are tested in bench/play and bench/push.
func TestLoadModes(t *testing.T) {
	// A port nothing listens on: every request fails at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    string
		wantErr    string
	}{
		{"play flag error", []string{"play", "-viewers", "x"}, exitUsage, "", "invalid value"},
		{"play bad config", []string{"play", "-viewers", "0"}, exitUsage, "", "viewers 0 must be positive"},
		{"play bad mix", []string{"play", "-players", "flash"}, exitUsage, "", `unknown player "flash"`},
		{"play gate fails", []string{"play", "-quiet", "-url", "http://" + dead + "/live/{stream}/index.m3u8", "-viewers", "2",
			"-arrival", "all", "-ramp", "0s", "-duration", "1s", "-retry", "100ms", "-max-error-rate", "0.5"},
			1, "requests failed", "FAIL requests failed"},
		{"play latency gate with no samples", []string{"play", "-quiet", "-url", "http://" + dead + "/live/{stream}/index.m3u8", "-viewers", "1",
			"-arrival", "all", "-ramp", "0s", "-duration", "500ms", "-max-p99-latency", "100"},
			1, "latency behind live p99", "FAIL latency behind live p99"},
		{"push no media", []string{"push", "-media", "/nonexistent.ts"}, exitUsage, "", "no such file"},
		{"push bad url", []string{"push", "-media", "../../../testdata/sample.ts", "-url", "ftp://x/{stream}"}, exitUsage, "", "is not rtmp://"},
		{"push gate fails", []string{"push", "-quiet", "-media", "../../../testdata/sample.ts", "-url", "rtmp://" + dead + "/live/{stream}?key=k",
			"-streams", "2", "-duration", "1s", "-spread", "0s", "-retry", "200ms", "-max-errors", "0"},
			1, "publisher errors", "FAIL publisher errors"},
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
