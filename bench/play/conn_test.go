package play

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scripted serves each connection to a listener on loopback with fn,
// which reads requests and writes raw bytes as a test needs.
func scripted(t *testing.T, fn func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequests reads from c until it has seen n request headers.
func readRequests(c net.Conn, n int) bool {
	var got []byte
	buf := make([]byte, 4096)
	for bytes.Count(got, []byte("\r\n\r\n")) < n {
		k, err := c.Read(buf)
		if err != nil {
			return false
		}
		got = append(got, buf[:k]...)
	}
	return true
}

// send queues a GET of each path on c and sends them together.
func send(t *testing.T, c *conn, paths ...string) {
	t.Helper()
	for _, p := range paths {
		c.get([]byte(p))
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
}

// eachWire runs fn with the goroutine-read wire and with the run's
// default one (the event loops, on Linux).
func eachWire(t *testing.T, fn func(t *testing.T, dial dialFunc)) {
	dial, stop := newDialer()
	t.Cleanup(stop)
	t.Run("net", func(t *testing.T) { fn(t, dialNet) })
	t.Run("default", func(t *testing.T) { fn(t, dial) })
}

func TestConnPipelined(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		if !readRequests(c, 3) {
			return
		}
		// Three answers in pieces that straddle them: a chunked part, a
		// playlist and a 404 whose body must not reach the sink.
		resp := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nmoof\r\n6\r\nmdat12\r\n0\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Livetree-Hop: edge-1\r\n\r\n#EXTM3U" +
			"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone"
		for i := 0; i < len(resp); i += 9 {
			c.Write([]byte(resp[i:min(i+9, len(resp))]))
			time.Sleep(time.Millisecond)
		}
		readRequests(c, 1)
	})
	eachWire(t, func(t *testing.T, dial dialFunc) {
		st := newStats()
		c := newConn(context.Background(), addr, st, dial)
		defer c.close()
		send(t, c, "/part", "/index.m3u8", "/missing")
		var sink bytes.Buffer
		first, err := c.stream(time.Now().Add(2*time.Second), &sink)
		if err != nil || c.status() != 200 || sink.String() != "moofmdat12" || first.IsZero() {
			t.Fatalf("part: %v %d %q %v", err, c.status(), sink.String(), first)
		}
		if _, err := c.read(time.Now().Add(2 * time.Second)); err != nil || string(c.bodyBytes()) != "#EXTM3U" ||
			string(c.header("x-livetree-hop")) != "edge-1" {
			t.Fatalf("playlist: %v %q %q", err, c.bodyBytes(), c.header("X-Livetree-Hop"))
		}
		sink.Reset()
		if _, err := c.stream(time.Now().Add(2*time.Second), &sink); err != nil || c.status() != 404 || sink.Len() != 0 {
			t.Fatalf("404: %v %d %q", err, c.status(), sink.String())
		}
		if n := st.bytes.Load(); n != 10+7+4 {
			t.Errorf("%d body bytes counted, want 21", n)
		}
		if c.closed() {
			t.Error("a keep-alive connection closed")
		}
	})
}

func TestConnFailures(t *testing.T) {
	cases := []struct {
		name  string
		serve string // written after the request; then the server closes, or hangs with "hang"
		class string
	}{
		{"cut inside a chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", classTruncated},
		{"cut before the header ends", "HTTP/1.1 200 OK\r\nContent-Le", classTruncated},
		{"closed before answering", "", classReset},
		{"no answer", "hang", classTimeout},
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", classResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := scripted(t, func(c net.Conn) {
				if !readRequests(c, 1) {
					return
				}
				if tc.serve == "hang" {
					readRequests(c, 1) // until the client gives up
					return
				}
				c.Write([]byte(tc.serve))
			})
			eachWire(t, func(t *testing.T, dial dialFunc) {
				c := newConn(context.Background(), addr, newStats(), dial)
				defer c.close()
				send(t, c, "/x")
				var sink bytes.Buffer
				t0 := time.Now()
				_, err := c.stream(time.Now().Add(300*time.Millisecond), &sink)
				if err == nil || classOf(err) != tc.class {
					t.Fatalf("error %v (%s), want class %s", err, classOf(err), tc.class)
				}
				if d := time.Since(t0); d > 2*time.Second {
					t.Errorf("failed after %v", d)
				}
				if !c.closed() {
					t.Error("a failed connection stays open")
				}
			})
		})
	}
}

func TestConnCloseAndCancel(t *testing.T) {
	addr := scripted(t, func(c net.Conn) {
		for readRequests(c, 1) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
		}
	})
	hang := scripted(t, func(c net.Conn) { readRequests(c, 2) })
	eachWire(t, func(t *testing.T, dial dialFunc) {
		st := newStats()
		c := newConn(context.Background(), addr, st, dial)
		for i := 0; i < 2; i++ {
			send(t, c, "/x")
			if _, err := c.read(time.Now().Add(2 * time.Second)); err != nil || string(c.bodyBytes()) != "ok" {
				t.Fatalf("answer %d: %v %q", i, err, c.bodyBytes())
			}
			if !c.closed() {
				t.Fatal("Connection: close left the connection open")
			}
		}
		if n := st.dials.Load(); n != 2 {
			t.Errorf("%d dials, want one per answer", n)
		}

		// A session that ends stops a read blocked on its connection.
		ctx, cancel := context.WithCancel(context.Background())
		h := newConn(ctx, hang, st, dial)
		defer h.close()
		send(t, h, "/x")
		time.AfterFunc(50*time.Millisecond, cancel)
		t0 := time.Now()
		if _, err := h.read(time.Now().Add(5 * time.Second)); err == nil || time.Since(t0) > time.Second {
			t.Fatalf("read after cancel: %v after %v", err, time.Since(t0))
		}
	})
}

func TestConnBodyBound(t *testing.T) {
	big := strings.Repeat("x", maxPlaylistBody+1)
	addr := scripted(t, func(c net.Conn) {
		if readRequests(c, 1) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n" + big))
		}
	})
	eachWire(t, func(t *testing.T, dial dialFunc) {
		c := newConn(context.Background(), addr, newStats(), dial)
		defer c.close()
		send(t, c, "/index.m3u8")
		if _, err := c.read(time.Now().Add(5 * time.Second)); !errors.Is(err, errBodyTooBig) {
			t.Fatalf("a body over the bound: %v", err)
		}
	})
}
