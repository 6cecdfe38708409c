//go:build linux

package arrival

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkLoopbackFloor measures what this machine's kernel alone allows
// for the wake-up figures of the delivery benchmarks: n clients in a child
// process each block on a request, then a server with nothing else to do
// writes one canned response to every socket, from one goroutine per
// processor, with raw system calls. arrive-µs runs from the first write to
// each response's arrival at its client's socket, as the kernel stamped
// it. Its p99 is a floor for BenchmarkBlockedWaiters (10,000 playlist
// answers of about 1.2 KB, cdn/delivery) and for the last hop of
// BenchmarkHopLatency (1,000 parts of 8 KB, cdn), which also wake a loop
// and find what to send.
func BenchmarkLoopbackFloor(b *testing.B) {
	for _, c := range []struct{ conns, body int }{{10000, 1200}, {1000, 8 << 10}} {
		b.Run(fmt.Sprintf("conns=%d/body=%d", c.conns, c.body), func(b *testing.B) {
			benchFloor(b, min(c.conns, RaiseFileLimit()-512), c.body)
		})
	}
}

func benchFloor(b *testing.B, n, body int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan floorConns, 1)
	go func() { accepted <- acceptFloor(ln, n) }()
	cl, err := StartClients("TestClientsChild", ln.Addr().String(), n)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	conns := <-accepted
	defer conns.close()
	if conns.err != nil {
		b.Fatal(conns.err)
	}
	resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\nContent-Length: %d\r\n\r\n%s",
		body, strings.Repeat("x", body)))

	var arrive []time.Duration
	var writing time.Duration
	b.ResetTimer()
	for range b.N {
		if err := cl.Round("/floor"); err != nil {
			b.Fatal(err)
		}
		if err := conns.readRequests(30 * time.Second); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := conns.writeAll(resp); err != nil {
			b.Fatal(err)
		}
		writing += time.Since(start)
		wakes, err := cl.Wait()
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range wakes {
			arrive = append(arrive, w.Arrive.Sub(start))
		}
	}
	b.StopTimer()
	slices.Sort(arrive)
	q := func(p float64) float64 {
		return float64(arrive[int(p*float64(len(arrive)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(q(0.5), "p50-arrive-µs")
	b.ReportMetric(q(0.99), "p99-arrive-µs")
	b.ReportMetric(float64(writing.Microseconds())/float64(b.N), "write-all-µs")
	b.ReportMetric(float64(n), "conns")
}

// floorConns are the server's side of the clients' connections.
type floorConns struct {
	conns []*net.TCPConn
	fds   []int
	got   []bool
	err   error
}

func acceptFloor(ln net.Listener, n int) floorConns {
	var fc floorConns
	for range n {
		c, err := ln.Accept()
		if err != nil {
			fc.err = err
			return fc
		}
		tc := c.(*net.TCPConn)
		rc, err := tc.SyscallConn()
		if err != nil {
			fc.err = err
			return fc
		}
		_ = rc.Control(func(fd uintptr) { fc.fds = append(fc.fds, int(fd)) })
		fc.conns = append(fc.conns, tc)
	}
	fc.got = make([]bool, n)
	return fc
}

func (fc *floorConns) close() {
	for _, c := range fc.conns {
		c.Close()
	}
}

// readRequests waits until every connection's request has come, reading
// the non-blocking sockets in turn.
func (fc *floorConns) readRequests(limit time.Duration) error {
	clear(fc.got)
	buf := make([]byte, 4096)
	left := len(fc.fds)
	deadline := time.Now().Add(limit)
	for left > 0 {
		for i, fd := range fc.fds {
			if fc.got[i] {
				continue
			}
			m, err := unix.Read(fd, buf)
			switch {
			case errors.Is(err, unix.EAGAIN):
			case err != nil:
				return fmt.Errorf("connection %d: %w", i, err)
			case m == 0:
				return fmt.Errorf("connection %d closed", i)
			default:
				fc.got[i] = true
				left--
			}
		}
		if left > 0 {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d requests missing after %v", left, limit)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// writeAll writes resp to every connection, the connections split into
// one contiguous share per processor.
func (fc *floorConns) writeAll(resp []byte) error {
	procs := runtime.GOMAXPROCS(0)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	share := (len(fc.fds) + procs - 1) / procs
	for p := range procs {
		lo, hi := p*share, min((p+1)*share, len(fc.fds))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, fd := range fc.fds[lo:hi] {
				if m, err := unix.Write(fd, resp); err != nil || m != len(resp) {
					errs[p] = fmt.Errorf("write: %d of %d bytes, %v", m, len(resp), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
