// Package peers runs the servers livetree is measured against (nginx and
// Varnish) and the wrk load generator, on loopback, so that a benchmark can
// put livetree side by side with them in one run.
package peers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a server or load generator started by this package.
type Process struct {
	Addr string // host:port it listens on; empty for a client
	cmd  *exec.Cmd
	out  *logBuffer
	// stop is the signal Stop sends first: SIGTERM unless the program
	// takes SIGTERM as a slow drain, as livetree's edge does.
	stop os.Signal
}

// logBuffer keeps what a process writes on stdout and stderr.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns what the process has written so far on stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// Stop ends the process: its stop signal, then SIGKILL after 5 s.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		sig := p.stop
		if sig == nil {
			sig = syscall.SIGTERM
		}
		_ = p.cmd.Process.Signal(sig)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
}

// CPU returns the user+system CPU time the process and its children (nginx
// workers, Varnish's child) have used, from /proc.
func (p *Process) CPU() time.Duration { return cpuTree(p.cmd.Process.Pid) }

// FreePort returns a loopback address nobody listens on right now.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Nginx serves the files under root (ideally on tmpfs) at / with sendfile,
// the way a tuned static origin would.
func Nginx(dir, root string, workers int) (*Process, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return nil, err
	}
	addr, err := FreePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes %d;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 16384; use epoll; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  open_file_cache max=100 inactive=60s;
  client_body_temp_path %[2]s/body; proxy_temp_path %[2]s/proxy;
  fastcgi_temp_path %[2]s/fastcgi; uwsgi_temp_path %[2]s/uwsgi; scgi_temp_path %[2]s/scgi;
  types { video/mp4 m4s mp4; }
  server { listen %[3]s backlog=4096; root %[4]s; }
}
`, workers, dir, addr, root)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	return start(cmd, addr)
}

// Varnish runs varnishd with malloc storage as a pull-through cache in front
// of backend (host:port).
func Varnish(dir, backend string, mallocMB int) (*Process, error) {
	bin, err := exec.LookPath("varnishd")
	if err != nil {
		return nil, err
	}
	addr, err := FreePort()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(backend)
	vcl := fmt.Sprintf(`vcl 4.1;
backend origin { .host = "%s"; .port = "%s"; }
sub vcl_backend_response { set beresp.do_stream = true; }
`, host, port)
	path := filepath.Join(dir, "default.vcl")
	if err := os.WriteFile(path, []byte(vcl), 0o644); err != nil {
		return nil, err
	}
	// No jail: the unprivileged user a jail switches to could not read
	// the VCL in a private temporary folder.
	cmd := exec.Command(bin, "-F", "-j", "none", "-a", addr, "-f", path, "-s", fmt.Sprintf("malloc,%dm", mallocMB),
		"-n", filepath.Join(dir, "varnish"), "-p", "thread_pool_min=50", "-p", "listen_depth=4096")
	return start(cmd, addr)
}

// start runs cmd and waits until something listens on addr.
func start(cmd *exec.Cmd, addr string) (*Process, error) {
	p, err := launch(cmd)
	if err != nil {
		return nil, err
	}
	p.Addr = addr
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("peers: %s did not listen on %s: %s", cmd.Path, addr, p.Output())
}

// launch runs cmd, keeping its output.
func launch(cmd *exec.Cmd) (*Process, error) {
	out := &logBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Process{cmd: cmd, out: out}, nil
}

// WrkResult is what one wrk run measured.
type WrkResult struct {
	Requests    float64 // requests per second
	BytesPerSec float64
	Errors      int // socket errors and non-2xx responses
	P99         time.Duration
}

// Wrk runs wrk against url for d with the given threads and connections.
func Wrk(ctx context.Context, url string, threads, conns int, d time.Duration) (WrkResult, error) {
	cmd := exec.CommandContext(ctx, "wrk", "--latency", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("peers: wrk: %v: %s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkBytes  = regexp.MustCompile(`Transfer/sec:\s+([\d.]+)([KMG]?B)`)
	wrkErrors = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkP99    = regexp.MustCompile(`99%\s+([\d.]+)(us|ms|s)`)
)

func parseWrk(out string) (WrkResult, error) {
	var r WrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("peers: no Requests/sec in wrk output: %s", out)
	}
	r.Requests, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkBytes.FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		r.BytesPerSec = v * map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m[2]]
	}
	for _, m := range wrkErrors.FindAllStringSubmatch(out, -1) {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.Errors += n
		}
	}
	if m := wrkP99.FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		r.P99 = time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]))
	}
	return r, nil
}
