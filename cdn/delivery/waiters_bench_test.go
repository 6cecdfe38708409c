package delivery

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
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
	n := min(10000, raiseFileLimit()-512)
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
	cl := startWaiterClients(b, f.addr, n)
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
		cl.round(fmt.Sprintf("/live/w/video.m3u8?_HLS_msn=%d&_HLS_part=%d", msn, part))
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
		wakes := cl.wait(b)
		stopProfile()
		for _, w := range wakes {
			arrive = append(arrive, w.arrive.Sub(at))
			read = append(read, w.read.Sub(at))
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

// waiterClients drives the child process of BenchmarkBlockedWaiters.
type waiterClients struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startWaiterClients starts a child process that holds n connections to
// addr and waits for rounds. The child needs one thread: it reads every
// connection from one goroutine.
func startWaiterClients(b *testing.B, addr string, n int) *waiterClients {
	cmd := exec.Command(os.Args[0], "-test.run=^TestWaiterClients$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "LIVETREE_WAITER_CLIENTS="+addr+" "+strconv.Itoa(n))
	if os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	cl := &waiterClients{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	b.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	if line := cl.line(b); line != "ready" {
		b.Fatalf("waiter clients: %s", line)
	}
	return cl
}

func (cl *waiterClients) line(b *testing.B) string {
	s, err := cl.out.ReadString('\n')
	if err != nil {
		b.Fatalf("waiter clients: %v", err)
	}
	return strings.TrimSpace(s)
}

// round has every client request path.
func (cl *waiterClients) round(path string) {
	fmt.Fprintln(cl.in, path)
}

// wakeTimes is when one client's response arrived at its socket and when
// the client had read it.
type wakeTimes struct{ arrive, read time.Time }

// wait returns when each client's response arrived and was read.
func (cl *waiterClients) wait(b *testing.B) []wakeTimes {
	fields := strings.Fields(cl.line(b))
	if len(fields) == 0 || fields[0] != "done" || len(fields)%2 != 1 {
		b.Fatalf("waiter clients: %.200v", fields)
	}
	out := make([]wakeTimes, 0, len(fields)/2)
	for i := 1; i < len(fields); i += 2 {
		a, err1 := strconv.ParseInt(fields[i], 10, 64)
		r, err2 := strconv.ParseInt(fields[i+1], 10, 64)
		if err1 != nil || err2 != nil {
			b.Fatalf("waiter clients: %q %q", fields[i], fields[i+1])
		}
		out = append(out, wakeTimes{time.Unix(0, a), time.Unix(0, r)})
	}
	return out
}

// TestWaiterClients is the child process of BenchmarkBlockedWaiters; it
// does nothing in a normal test run. It holds n connections, and for each
// request path read from stdin sends one request on every connection, then
// prints, for each, when the response's last byte arrived at its socket
// and when it had been read, in Unix nanoseconds.
func TestWaiterClients(t *testing.T) {
	spec := os.Getenv("LIVETREE_WAITER_CLIENTS")
	if spec == "" {
		return
	}
	addr, count, _ := strings.Cut(spec, " ")
	n, _ := strconv.Atoi(count)
	raiseFileLimit()
	keep, err := arrival.Keep(time.Second)
	if err != nil {
		fmt.Printf("keep: %v\n", err)
		return
	}
	defer keep.Close()
	set, err := arrival.NewSet(0)
	if err != nil {
		fmt.Printf("set: %v\n", err)
		return
	}
	defer set.Close()
	for i := range n {
		if _, err := set.Dial(addr); err != nil {
			fmt.Printf("dial %d: %v\n", i, err)
			return
		}
	}
	fmt.Println("ready")
	resps := make([]arrival.Response, n)
	var line []byte
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		req := []byte("GET " + in.Text() + " HTTP/1.1\r\nHost: x\r\n\r\n")
		for id := range n {
			resps[id].Reset()
			if err := set.Write(id, req); err != nil {
				fmt.Printf("write %d: %v\n", id, err)
				return
			}
		}
		left := n
		var failed error
		for left > 0 && failed == nil {
			err := set.Poll(time.Now().Add(time.Minute), func(id int, data []byte, at arrival.Stamp, err error) {
				if err == nil {
					var done bool
					done, _, err = resps[id].Feed(data, at)
					if done {
						left--
						if resps[id].Status != http.StatusOK || resps[id].Last.Last.IsZero() {
							err = fmt.Errorf("status %d, stamp %v", resps[id].Status, resps[id].Last.Last)
						}
					}
				}
				if err != nil {
					failed = fmt.Errorf("connection %d: %w", id, err)
				}
			})
			if err != nil {
				failed = err
			}
		}
		if failed != nil {
			fmt.Printf("failed: %v\n", failed)
			return
		}
		line = append(line[:0], "done"...)
		for _, r := range resps {
			line = append(line, ' ')
			line = strconv.AppendInt(line, r.Last.Last.UnixNano(), 10)
			line = append(line, ' ')
			line = strconv.AppendInt(line, r.Last.Read.UnixNano(), 10)
		}
		line = append(line, '\n')
		os.Stdout.Write(line)
	}
}
