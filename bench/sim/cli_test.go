package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livetree/livetree/bench/report"
)

// tiny are the flags of a two-minute run on ten edges with one surge that
// overflows.
var tiny = []string{"-duration", "2m", "-warmup", "30s", "-edges", "10", "-streams", "50", "-mean-gbps", "2", "-peak-gbps", "4",
	"-surges", "1", "-surge-viewers", "5000", "-quiet"}

func TestMain(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		cancelled  bool
		wantStatus int
		wantOut    string
		wantErr    string
		wantFiles  bool
	}{
		{"summary and files", []string{"-out", "DIR"}, false, ExitOK, "edge checks past capacity", "", true},
		{"limit met", []string{"-max-edge-util", "1", "-max-surge-lag", "3"}, false, ExitOK, "≤ 100 % PASS", "", false},
		{"limit missed", []string{"-max-overflow-share", "0.001"}, false, ExitFailed, "≤ 0.1 % FAIL", "FAIL overflow share of viewer bytes", false},
		{"bad flag", []string{"-no-such-flag"}, false, ExitUsage, "", "flag provided but not defined", false},
		{"bad config", []string{"-edges", "0"}, false, ExitUsage, "", "invalid config", false},
		{"stray argument", []string{"extra"}, false, ExitUsage, "", "unexpected arguments", false},
		{"interrupted", []string{"-out", "DIR"}, true, ExitFailed, "edge checks past capacity", "stopped after 0s of virtual time: context canceled", true},
		{"help", []string{"-h"}, false, ExitOK, "", "usage: bench sim", false},
		{"live progress", []string{"-quiet=false"}, false, ExitOK, "", "sim 0:02:00 / 0:02:00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string(nil), tiny...)
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			var stdout, stderr bytes.Buffer
			if got := Main(ctx, args, &stdout, &stderr); got != tc.wantStatus {
				t.Fatalf("status %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tc.wantStatus, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, stderr.String())
			}
			if !tc.wantFiles {
				return
			}
			data, err := os.ReadFile(filepath.Join(dir, "sim.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep report.Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			if f, ok := rep.Figure("capacity_violations"); !ok || f.Status != report.StatusPass {
				t.Errorf("capacity_violations figure: %+v", f)
			}
			if rep.Mode != "sim" || rep.Command[1] != "sim" || len(rep.Charts) < 3 {
				t.Errorf("report: mode %q, command %q, %d charts", rep.Mode, rep.Command, len(rep.Charts))
			}
			page, err := os.ReadFile(filepath.Join(dir, "sim.html"))
			if err != nil || !bytes.Contains(page, []byte("<svg")) {
				t.Errorf("sim.html: %v, %d bytes", err, len(page))
			}
		})
	}
}
