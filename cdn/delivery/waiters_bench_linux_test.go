//go:build linux

package delivery

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/arrival"
	"github.com/livetree/livetree/packager/hls"
)

// BenchmarkBlockedWaiters holds 10,000 blocking playlist requests, each on
// its own loopback connection, then appends the chunk that completes the
// part they wait for. One op is one such round. Wake latency runs from
// that append to each response's last byte: "arrive" when the kernel
// received it at the client's socket (the figure the target is about),
// "read" when the client had read it. The clients run in a child process
// (see TestWaiterClients), so that they have a scheduler and a file limit
// of their own and the server's memory is measured alone: B/conn is an
// idle kept-alive connection, B/waiter what blocking a request on it adds.
// The child reads every connection from one goroutine through one epoll
// instance (package bench/arrival), so the server gets nearly all the CPU.
func BenchmarkBlockedWaiters(b *testing.B) {
	n := min(10000, arrival.RaiseFileLimit()-512)
	f := newFixture(b, Config{MaxBlock: func(time.Duration) time.Duration { return time.Minute }})
	p := newReplayer(b, "w")
	f.streams.Add(p.st)
	p.playUntil(b, func(c recChunk) bool { return c.meta.MSN == 2 })
	tr, _ := p.st.Track(1, false)

	inuse := func() float64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse + m.StackInuse)
	}
	start := inuse()
	cl, err := arrival.StartClients("TestWaiterClients", f.addr, n)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	// Let the server take every connection in before measuring.
	time.Sleep(200 * time.Millisecond)
	connected := inuse()

	var arrive, read []time.Duration
	var perWaiter float64
	net0, _ := arrival.ReadNetStats()
	b.ReportAllocs()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		last, _ := tr.Last()
		parts := last.Parts()
		msn, part := last.MSN, len(parts)-1
		if parts[part].Complete {
			part++
		}
		if err := cl.Round(fmt.Sprintf("/live/w/video.m3u8?_HLS_msn=%d&_HLS_part=%d", msn, part)); err != nil {
			b.Fatal(err)
		}
		waitFor(b, 30*time.Second, "every request to block", func() bool { return f.h.Stats().Blocked.Load() == int64(n) })
		if it == 0 {
			b.StopTimer()
			perWaiter = (inuse() - connected) / float64(n)
			b.StartTimer()
		}
		stopProfile := profileWake(b, it)
		at := p.playUntil(b, func(recChunk) bool {
			ready, _ := hls.Check(tr, false, hls.Request{MSN: int64(msn), Part: int64(part)})
			return ready
		})
		wakes, err := cl.Wait()
		if err != nil {
			b.Fatal(err)
		}
		stopProfile()
		for _, w := range wakes {
			arrive = append(arrive, w.Arrive.Sub(at))
			read = append(read, w.Read.Sub(at))
		}
	}
	b.StopTimer()
	reportNet(b, net0)
	percentiles(b, arrive, "arrive-µs")
	percentiles(b, read, "read-µs")
	b.ReportMetric(float64(n), "waiters")
	b.ReportMetric((connected-start)/float64(n), "B/conn")
	b.ReportMetric(perWaiter, "B/waiter")
}

// profileWake profiles the server's CPU during round it's wake-up, from
// the append to the last response read, when LIVETREE_WAKE_PROFILE names
// a file: round it goes to that name with ".<it>" appended, and
// "go tool pprof file.*" merges the rounds. The whole benchmark's
// -cpuprofile mostly shows the connections being set up and the requests
// arriving.
func profileWake(b *testing.B, it int) (stop func()) {
	path := os.Getenv("LIVETREE_WAKE_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + "." + strconv.Itoa(it))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// reportNet reports the loopback packets dropped and retransmitted on the
// whole machine since from, per op: each delays one response by a
// retransmission timeout.
func reportNet(b *testing.B, from arrival.NetStats) {
	now, err := arrival.ReadNetStats()
	if err != nil {
		return
	}
	d := now.Sub(from)
	b.ReportMetric(float64(d.BacklogDrops)/float64(b.N), "drops/op")
	b.ReportMetric(float64(d.RetransSegs)/float64(b.N), "retrans/op")
}

// TestWaiterClients is the child process of BenchmarkBlockedWaiters (see
// arrival.StartClients); it does nothing in a normal test run.
func TestWaiterClients(t *testing.T) { arrival.ServeChild() }
