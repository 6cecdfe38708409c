package peers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Walk is a wrk run whose connections ask for a list of paths in turn, so
// that every server measured with the same Walk serves the same objects.
type Walk struct {
	Base     string   // scheme and host, http://127.0.0.1:8080
	Paths    []string // absolute paths, each asked for about equally often
	Threads  int
	Conns    int
	Duration time.Duration // whole seconds
	// Timeout is wrk's bound on one response, in whole seconds; a slower
	// one counts as a timeout error. Zero keeps wrk's 2 s.
	Timeout time.Duration
}

// Run writes the walk's Lua script into dir and runs wrk.
func (w Walk) Run(ctx context.Context, dir string) (WrkResult, error) {
	if len(w.Paths) == 0 {
		return WrkResult{}, fmt.Errorf("peers: walk of %s has no path", w.Base)
	}
	script := filepath.Join(dir, "walk.lua")
	if err := os.WriteFile(script, []byte(walkScript(w.Paths)), 0o644); err != nil {
		return WrkResult{}, err
	}
	args := []string{"--latency", "-t", strconv.Itoa(w.Threads), "-c", strconv.Itoa(w.Conns),
		"-d", fmt.Sprintf("%ds", int(w.Duration.Round(time.Second)/time.Second)), "-s", script}
	if w.Timeout > 0 {
		// wrk takes whole seconds (or minutes, hours) only.
		args = append(args, "--timeout", fmt.Sprintf("%ds", max(1, int(w.Timeout.Round(time.Second)/time.Second))))
	}
	out, err := exec.CommandContext(ctx, "wrk", append(args, w.Base)...).CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("peers: wrk: %v: %s", err, out)
	}
	return parseWrk(string(out))
}

// walkScript returns a wrk Lua script in which each thread cycles through
// paths, starting at its own offset so that threads do not move in step.
func walkScript(paths []string) string {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		// Go's quoting of printable ASCII is valid Lua.
		fmt.Fprintf(&b, "  %s,\n", strconv.QuoteToASCII(p))
	}
	b.WriteString(`}
local n = 0
function setup(thread)
  thread:set("offset", n * 7)
  n = n + 1
end
local i = 0
function init(args)
  i = (offset or 0) % #paths
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`)
	return b.String()
}
