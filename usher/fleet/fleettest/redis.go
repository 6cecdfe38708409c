// Package fleettest starts real redis-server processes for tests of usher
// and of the servers that talk to it.
package fleettest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is one redis-server process on a loopback port, without
// persistence, in a temporary directory.
type Redis struct {
	Port   int
	dir    string
	mu     sync.Mutex    // guards cmd and exited
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd has exited
}

// StartRedis starts a redis-server for the test and stops it at cleanup.
// Without redis-server the test is skipped, or fails when CI=true.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	if !Available() {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redis-server not found (CI=true)")
		}
		tb.Skip("redis-server not found")
	}
	r, err := Launch()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	return r
}

// Available reports whether redis-server is installed.
func Available() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// Launch starts a redis-server outside any test, e.g. one per package in
// TestMain; the caller must Close it.
func Launch() (*Redis, error) {
	dir, err := os.MkdirTemp("", "fleettest-redis-")
	if err != nil {
		return nil, err
	}
	r := &Redis{dir: dir}
	for attempt := 0; ; attempt++ {
		if r.Port, err = freePort(); err != nil {
			break
		}
		if err = r.Start(); err == nil || attempt == 3 {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	return r, nil
}

// Close stops the server and removes its directory.
func (r *Redis) Close() {
	r.Stop()
	_ = os.RemoveAll(r.dir)
}

// Addr returns host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL returns a redis:// URL of database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr(), db) }

// Client returns a client of database db, closed at the test's cleanup.
func (r *Redis) Client(tb testing.TB, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DB: db})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Start (re)starts the server on its port, empty, and waits until it
// answers.
func (r *Redis) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return nil
	}
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--databases", "64",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			r.cmd, r.exited = cmd, exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server did not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would, and waits for it to exit.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
	r.cmd, r.exited = nil, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
