//go:build linux

package delivery

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// newTestHangups returns a poller closed when the test ends.
func newTestHangups(t *testing.T) *hangups {
	t.Helper()
	p, err := newHangups()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// connPair returns both ends of a loopback TCP connection: the client's and
// the server's. Both are closed when the test ends.
func connPair(t *testing.T, ln net.Listener) (client, server *net.TCPConn) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		s.Close()
	})
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// fdOf returns a connection's descriptor number.
func fdOf(t *testing.T, c syscall.Conn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		t.Fatal(err)
	}
	return fd
}

// goneWithin reports whether w reports a hang-up within d.
func goneWithin(w *hangup, d time.Duration) bool {
	select {
	case <-w.Gone():
		return true
	case <-time.After(d):
		return false
	}
}

// TestHangupNoticed checks that each way a client can leave is reported
// quickly, whether it leaves before or after the registration.
func TestHangupNoticed(t *testing.T) {
	// limit is generous for a loaded machine under -race; the figure is
	// logged.
	const limit = 50 * time.Millisecond
	p := newTestHangups(t)
	ln := listen(t)
	for _, tc := range []struct {
		name   string
		leave  func(*net.TCPConn) error
		before bool // the client leaves before the registration
	}{
		{"close", (*net.TCPConn).Close, false},
		{"reset", func(c *net.TCPConn) error { _ = c.SetLinger(0); return c.Close() }, false},
		{"half-close", (*net.TCPConn).CloseWrite, false},
		{"close-with-unread-request", func(c *net.TCPConn) error {
			if _, err := c.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
				return err
			}
			return c.Close()
		}, false},
		{"closed-before", (*net.TCPConn).Close, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := connPair(t, ln)
			if tc.before {
				if err := tc.leave(client); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			w := p.watch(server)
			if w == nil {
				t.Fatal("not watched")
			}
			defer w.stop()
			start := time.Now()
			if !tc.before {
				if err := tc.leave(client); err != nil {
					t.Fatal(err)
				}
			}
			if !goneWithin(w, limit) {
				t.Fatalf("hang-up not reported within %v", limit)
			}
			t.Logf("reported after %v", time.Since(start))
		})
	}
	if n := p.watching(); n != 0 {
		t.Errorf("%d registrations left", n)
	}
}

// TestHangupPipelinedIsNotGone checks that bytes from a client, such as a
// pipelined request, are not taken for a hang-up, and that the client
// leaving afterwards still is.
func TestHangupPipelinedIsNotGone(t *testing.T) {
	p := newTestHangups(t)
	client, server := connPair(t, listen(t))
	w := p.watch(server)
	defer w.stop()
	if _, err := client.Write([]byte("GET /time HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if goneWithin(w, 100*time.Millisecond) {
		t.Fatal("a pipelined request was taken for a hang-up")
	}
	client.Close()
	if !goneWithin(w, time.Second) {
		t.Fatal("hang-up after a pipelined request not reported")
	}
}

// TestHangupStoppedIsSilent checks that a registration stopped before its
// client leaves never reports, and that a descriptor number reused by a
// later connection never inherits an earlier connection's hang-up.
func TestHangupStoppedIsSilent(t *testing.T) {
	p := newTestHangups(t)
	ln := listen(t)

	clientA, serverA := connPair(t, ln)
	fdA := fdOf(t, serverA)
	a := p.watch(serverA)
	a.stop()
	clientA.Close()
	if goneWithin(a, 50*time.Millisecond) {
		t.Fatal("a stopped registration reported a hang-up")
	}

	// A second connection that hangs up at once, stopped after its report
	// and closed, frees its number for the third.
	clientB, serverB := connPair(t, ln)
	b := p.watch(serverB)
	clientB.Close()
	if !goneWithin(b, time.Second) {
		t.Fatal("hang-up not reported")
	}
	b.stop()
	fdB := fdOf(t, serverB)
	serverA.Close()
	serverB.Close()

	clientC, serverC := connPair(t, ln)
	fdC := fdOf(t, serverC)
	if fdC != fdA && fdC != fdB {
		t.Logf("descriptor %d not reused (earlier %d, %d)", fdC, fdA, fdB)
	}
	c := p.watch(serverC)
	defer c.stop()
	if goneWithin(c, 100*time.Millisecond) {
		t.Fatalf("connection on descriptor %d reported gone while its client is there", fdC)
	}
	clientC.Close()
	if !goneWithin(c, time.Second) {
		t.Fatal("hang-up on a reused descriptor not reported")
	}
	if n := p.watching(); n != 0 {
		t.Errorf("%d registrations left", n)
	}
}

// TestHangupsClose checks that close stops the poller's goroutine, and that
// watching after close, or stopping a registration made before it, is
// harmless.
func TestHangupsClose(t *testing.T) {
	p, err := newHangups()
	if err != nil {
		t.Fatal(err)
	}
	_, server := connPair(t, listen(t))
	early := p.watch(server)
	if early == nil {
		t.Fatal("not watched")
	}
	p.close()
	select {
	case <-p.done:
	case <-time.After(time.Second):
		t.Fatal("the poller's goroutine did not end")
	}
	early.stop()
	if w := p.watch(server); w != nil {
		w.stop()
		t.Error("watched after close")
	}
	if n := p.watching(); n != 0 {
		t.Errorf("%d registrations left", n)
	}
}

// TestHangupKeptForConnection checks that a connection accepted through
// Listener keeps one registration across its waits, still reports its
// client's hang-up, and gives the registration up when it closes.
func TestHangupKeptForConnection(t *testing.T) {
	p := newTestHangups(t)
	ln := Listener(listen(t))
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	accepted, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server := accepted.(*conn)
	defer server.Close()
	first := p.watch(server)
	if first == nil {
		t.Fatal("not watched")
	}
	first.stop()
	if goneWithin(first, 50*time.Millisecond) {
		t.Fatal("a hang-up reported for a client still there")
	}
	if again := p.watch(server); again != first {
		t.Fatal("a second wait registered the connection again")
	}
	if n := p.watching(); n != 1 {
		t.Fatalf("%d registrations for one connection", n)
	}
	client.Close()
	if !goneWithin(first, 2*time.Second) {
		t.Fatal("hang-up not reported")
	}
	server.Close()
	if n := p.watching(); n != 0 {
		t.Errorf("%d registrations left after close", n)
	}
	if w := p.watch(server); w != nil {
		t.Error("a closed connection was registered")
	}
}
