//go:build linux

package arrival

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// TestClientsChild is the child process of TestClients and
// BenchmarkLoopbackFloor.
func TestClientsChild(t *testing.T) { ServeChild() }

// TestClients checks that clients in a child process send each round's
// request on every connection and report every answer, stamped.
func TestClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.URL.Path))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	const n = 5
	cl, err := StartClients("TestClientsChild", ln.Addr().String(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, path := range []string{"/a", "/bcd"} {
		start := time.Now()
		if err := cl.Round(path); err != nil {
			t.Fatal(err)
		}
		wakes, err := cl.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if len(wakes) != n {
			t.Fatalf("%d answers, want %d", len(wakes), n)
		}
		for i, w := range wakes {
			if w.Body != int64(len(path)) || w.Arrive.Before(start) || w.Read.Before(w.Arrive) {
				t.Fatalf("client %d: %+v (round started %v)", i, w, start)
			}
		}
	}
}
