//go:build linux

package arrival

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (client *net.TCPConn, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// near fails unless got is within tol after want.
func near(t *testing.T, what string, got, want time.Time, tol time.Duration) {
	t.Helper()
	if d := got.Sub(want); d < 0 || d > tol {
		t.Errorf("%s %v after its write, want within [0, %v]", what, d, tol)
	}
}

// TestConnStamps writes two packets 30 ms apart and reads them 60 ms
// later in one read: the stamp must tell the second write's time, not the
// read's.
func TestConnStamps(t *testing.T) {
	c, s := pair(t)
	ac, err := NewConn(c)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("first "))
	time.Sleep(30 * time.Millisecond)
	w2 := time.Now()
	s.Write([]byte("second"))
	time.Sleep(60 * time.Millisecond)
	buf := make([]byte, 64)
	n, st, err := ac.ReadStamped(buf)
	if err != nil || string(buf[:n]) != "first second" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	// A loaded machine may delay the stamp after the write, never before.
	near(t, "last byte stamped", st.Last, w2, 10*time.Millisecond)
	near(t, "read", st.Read, w2, time.Second)
	if st.Read.Sub(st.Last) < 50*time.Millisecond {
		t.Errorf("read %v after the last byte arrived, want ≥ 50 ms", st.Read.Sub(st.Last))
	}
	if ac.Stamp() != st {
		t.Errorf("Stamp() = %+v, want %+v", ac.Stamp(), st)
	}
}

func TestConnEOFAndDeadline(t *testing.T) {
	c, s := pair(t)
	ac, err := NewConn(c)
	if err != nil {
		t.Fatal(err)
	}
	ac.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	buf := make([]byte, 8)
	if _, err := ac.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	ac.SetReadDeadline(time.Time{})
	s.Write([]byte("x"))
	s.Close()
	got, err := io.ReadAll(ac)
	if err != nil || string(got) != "x" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if _, err := ac.Read(buf); err != io.EOF {
		t.Fatalf("read after EOF: %v", err)
	}
}

// BenchmarkConnRead measures one stamped read of 1 KiB next to a plain
// one.
func BenchmarkConnRead(b *testing.B) {
	for _, stamped := range []bool{false, true} {
		name := "plain"
		if stamped {
			name = "stamped"
		}
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			c, s := pair(t)
			defer c.Close()
			defer s.Close()
			var r io.Reader = c
			if stamped {
				ac, err := NewConn(c)
				if err != nil {
					b.Fatal(err)
				}
				r = ac
			}
			msg := make([]byte, 1024)
			buf := make([]byte, 1024)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.Write(msg)
				if _, err := io.ReadFull(r, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestKeep(t *testing.T) {
	k, err := Keep(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// With timestamping held on, the very first packet of a new
	// connection is stamped.
	c, s := pair(t)
	ac, err := NewConn(c)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("x"))
	_, st, err := ac.ReadStamped(make([]byte, 1))
	if err != nil || st.Last.IsZero() {
		t.Fatalf("first packet: %+v, %v", st, err)
	}
}
