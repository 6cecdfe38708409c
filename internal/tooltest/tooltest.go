// Package tooltest finds the real programs that tests drive (ffmpeg,
// ffprobe, redis-server, nginx, varnishd, wrk, node and Chromium). On a
// developer's machine a missing one skips the test; in CI (CI=true),
// where make test has installed them all, it fails the test.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the program name, or skips t, or fails it in CI.
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name)
	}
	return p
}

// Missing skips t for want of what, or fails it in CI.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI (make test installs it)", what)
	}
	t.Skipf("%s not installed; make test installs it", what)
}
