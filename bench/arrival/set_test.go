//go:build linux

package arrival

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSetResponses holds n requests at a real HTTP server, releases them
// at once, and frames every response: each must be stamped after the
// release and before it was read.
func TestSetResponses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		chunked bool
	}{{"content length", false}, {"chunked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 50
			body := strings.Repeat("x", 3000)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-release
				if tc.chunked {
					io.WriteString(w, body[:1000])
					w.(http.Flusher).Flush()
					io.WriteString(w, body[1000:])
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				io.WriteString(w, body)
			}))
			defer srv.Close()
			defer close(release)

			s, err := NewSet(0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			for i := range n {
				id, err := s.Dial(srv.Listener.Addr().String())
				if err != nil || id != i {
					t.Fatalf("dial %d: %d, %v", i, id, err)
				}
				if err := s.Write(id, req); err != nil {
					t.Fatal(err)
				}
			}
			if s.Len() != n {
				t.Fatalf("Len = %d", s.Len())
			}
			// Nothing comes before the release.
			if err := s.Poll(time.Now().Add(50*time.Millisecond), func(id int, _ []byte, _ Stamp, err error) {
				t.Errorf("connection %d: early read, %v", id, err)
			}); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("poll before release: %v", err)
			}
			released := time.Now()
			release <- struct{}{}
			for range n - 1 {
				release <- struct{}{}
			}
			resps := make([]Response, n)
			left := n
			for left > 0 {
				err := s.Poll(time.Now().Add(5*time.Second), func(id int, data []byte, at Stamp, err error) {
					if err != nil {
						t.Fatalf("connection %d: %v", id, err)
					}
					r := &resps[id]
					done, rest, err := r.Feed(data, at)
					if err != nil || len(rest) > 0 {
						t.Fatalf("connection %d: %v, %d bytes after", id, err, len(rest))
					}
					if done {
						left--
					}
				})
				if err != nil {
					t.Fatalf("poll: %v (%d responses left)", err, left)
				}
			}
			for id, r := range resps {
				if r.Status != 200 || r.BodyLen != int64(len(body)) {
					t.Errorf("connection %d: status %d, %d bytes", id, r.Status, r.BodyLen)
				}
				if r.Last.Last.Before(released) || r.Last.Read.Before(r.Last.Last) || r.Last.Last.Before(r.First.Last) {
					t.Errorf("connection %d: released %v, first stamp %v, last %v, read %v", id,
						released, r.First.Last, r.Last.Last, r.Last.Read)
				}
			}
		})
	}
}

func TestSetClosing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("bye"))
			c.Close()
		}
	}()
	s, err := NewSet(16)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Dial(ln.Addr().String())
	b, _ := s.Dial(ln.Addr().String())
	if err := s.CloseConn(b); err != nil {
		t.Fatal(err)
	}
	var got string
	eof := false
	for !eof {
		err := s.Poll(time.Now().Add(5*time.Second), func(id int, data []byte, _ Stamp, err error) {
			if id != a {
				t.Fatalf("read from closed connection %d", id)
			}
			got += string(data)
			eof = err == io.EOF
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != "bye" {
		t.Fatalf("read %q", got)
	}
	if err := s.Write(a, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after EOF: %v", err)
	}
	if _, err := s.Dial("localhost:80"); err == nil {
		t.Fatal("dialled a host name")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(time.Time{}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("poll after close: %v", err)
	}
	if _, err := s.Dial(ln.Addr().String()); !errors.Is(err, ErrClosed) {
		t.Fatalf("dial after close: %v", err)
	}
}

// TestSetAllocates checks that a round trip through a Set allocates
// nothing, so thousands of clients cost the garbage collector nothing.
func TestSetAllocates(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	s, err := NewSet(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, err := s.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("ping")
	got := 0
	fn := func(_ int, data []byte, _ Stamp, err error) {
		if err != nil {
			t.Fatal(err)
		}
		got += len(data)
	}
	round := func() {
		if err := s.Write(id, msg); err != nil {
			t.Fatal(err)
		}
		for got < len(msg) {
			if err := s.Poll(time.Time{}, fn); err != nil {
				t.Fatal(err)
			}
		}
		got = 0
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("a round trip allocates %v times", n)
	}
}
