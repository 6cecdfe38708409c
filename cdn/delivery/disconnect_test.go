package delivery

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDisconnectFreesWaiters checks that blocked playlist requests whose
// clients hang up are released at once, and leave no goroutine behind.
// Requests parked on the fast path and requests waiting in the full
// server are both checked.
func TestDisconnectFreesWaiters(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("hang-ups of waiting clients are noticed on Linux only")
	}
	t.Run("fast", func(t *testing.T) { testDisconnectFreesWaiters(t, true) })
	t.Run("full", func(t *testing.T) { testDisconnectFreesWaiters(t, false) })
}

func testDisconnectFreesWaiters(t *testing.T, fast bool) {
	const n = 1000
	f := newFixtureOn(t, Config{MaxBlock: func(time.Duration) time.Duration { return time.Minute }}, fast,
		func(s *fasthttp.Server) { s.MaxIdleWorkerDuration = 50 * time.Millisecond })
	r := record(t)
	st := r.window("d")
	r.play(t, st, 0, len(r.chunks)/2)
	f.streams.Add(st)
	tr, _ := st.Track(1, false)
	last, _ := tr.Last()
	// A keep-alive request first, so the server's steady goroutines exist.
	if resp, _ := get(t, f.base+"/live/d/video.m3u8"); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()
	cancelled := f.h.Stats().Cancelled.Load()

	req := fmt.Sprintf("GET /live/d/video.m3u8?_HLS_msn=%d&_HLS_part=0 HTTP/1.1\r\nHost: x\r\n\r\n", last.MSN+1)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "every request to block", func() bool { return f.h.Stats().Blocked.Load() == n })
	if fast {
		if got := f.fast.Conns(); got != n {
			t.Errorf("%d connections parked on the fast path for %d waiters", got, n)
		}
	} else if got := f.h.hang.watching(); got != n {
		t.Errorf("%d connections watched for hang-ups for %d waiters", got, n)
	}

	start := time.Now()
	for _, c := range conns {
		c.Close()
	}
	waitFor(t, 2*time.Second, "every waiter to be released", func() bool { return f.h.Stats().Blocked.Load() == 0 })
	t.Logf("%d waiters released %v after their clients hung up", n, time.Since(start))
	if got := f.h.Stats().Cancelled.Load() - cancelled; got != n {
		t.Errorf("%d waits cancelled, want %d", got, n)
	}
	waitFor(t, 5*time.Second, "the handler's goroutines to end", func() bool {
		return f.h.hang.watching() == 0 && countGoroutines("delivery.(*waiters).run") == 0 &&
			countGoroutines("delivery.(*Handler).await") == 0
	})
	waitFor(t, 5*time.Second, "goroutines back to where they were", func() bool {
		return runtime.NumGoroutine() <= before
	})

	// The stream goes on: a waiter on a live connection is still answered.
	done := make(chan int, 1)
	go func() {
		resp, _ := get(t, fmt.Sprintf("%s/live/d/video.m3u8?_HLS_msn=%d&_HLS_part=0", f.base, last.MSN+1))
		done <- resp.StatusCode
	}()
	waitFor(t, 2*time.Second, "a new waiter", func() bool { return f.h.Stats().Blocked.Load() == 1 })
	r.play(t, st, len(r.chunks)/2, len(r.chunks))
	if status := <-done; status != http.StatusOK {
		t.Errorf("status %d", status)
	}
}

// TestPipelinedRequestKeepsWaiting checks that a pipelined request behind
// a blocked one is not taken for a hang-up, and that both are answered in
// order once the media comes.
func TestPipelinedRequestKeepsWaiting(t *testing.T) {
	f := newFixture(t, Config{})
	r := record(t)
	st := r.window("p")
	r.play(t, st, 0, len(r.chunks)/2)
	f.streams.Add(st)
	tr, _ := st.Track(1, false)
	last, _ := tr.Last()
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	blocking := fmt.Sprintf("GET /live/p/video.m3u8?_HLS_msn=%d&_HLS_part=0 HTTP/1.1\r\nHost: x\r\n\r\n", last.MSN+1)
	if _, err := c.Write([]byte(blocking + "GET /time HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the request to block", func() bool { return f.h.Stats().Blocked.Load() == 1 })
	time.Sleep(100 * time.Millisecond)
	if f.h.Stats().Blocked.Load() != 1 {
		t.Fatal("the pipelined request ended the wait")
	}
	r.play(t, st, len(r.chunks)/2, len(r.chunks))
	br := bufio.NewReader(c)
	for _, want := range []string{"mpegurl", "text/plain"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), want) {
			t.Fatalf("status %d, type %q, want %s", resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}

// countGoroutines counts goroutines whose stack mentions fn.
func countGoroutines(fn string) int {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}
