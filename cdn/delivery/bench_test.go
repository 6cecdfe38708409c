package delivery

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// replayer appends the recording to a window without end, numbering each
// loop's segments after the previous loop's.
type replayer struct {
	r    *recording
	st   *window.Stream
	i    int
	loop uint64
	segs uint64 // segments in one loop
}

func newReplayer(tb testing.TB, name string) *replayer {
	r := record(tb)
	var segs uint64
	for _, c := range r.chunks {
		segs = max(segs, c.meta.MSN+1)
	}
	return &replayer{r: r, st: r.window(name), segs: segs}
}

// next returns the next chunk to append.
func (p *replayer) next() recChunk {
	if p.i == len(p.r.chunks) {
		p.i = 0
		p.loop++
	}
	c := p.r.chunks[p.i]
	p.i++
	c.meta.MSN += p.loop * p.segs
	if c.meta.Part == 0 && c.meta.MSN > 0 && c.meta.Discontinuity {
		c.meta.Discontinuity = false
	}
	return c
}

func (p *replayer) append(tb testing.TB, c recChunk) {
	tr, _ := p.st.Track(c.track, false)
	if err := tr.Append(c.meta, c.data); err != nil {
		tb.Fatalf("append: %v", err)
	}
	if c.meta.Part == 0 {
		p.st.Evict()
	}
}

// playUntil appends chunks until stop reports true for one just appended,
// and returns when that one's append began.
func (p *replayer) playUntil(tb testing.TB, stop func(recChunk) bool) time.Time {
	for {
		c := p.next()
		at := time.Now()
		p.append(tb, c)
		if stop(c) {
			return at
		}
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one and
// returns it.
func raiseFileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return int(lim.Cur)
}

// percentiles reports the minimum, p50, p99 and maximum of ds.
func percentiles(b *testing.B, ds []time.Duration, unit string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	p := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) }
	b.ReportMetric(float64(ds[0].Microseconds()), "min-"+unit)
	b.ReportMetric(p(0.50), "p50-"+unit)
	b.ReportMetric(p(0.99), "p99-"+unit)
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds()), "max-"+unit)
}

// BenchmarkBlockedWaiters holds 10,000 blocking playlist requests, each on
// its own loopback connection, then appends the chunk that completes the
// part they wait for. One op is one such round; wake latency runs from that
// append to each response fully read by its client. The clients run in a
// child process (see TestWaiterClients), so that they have a scheduler and
// a file limit of their own and the server's memory is measured alone:
// B/conn is an idle kept-alive connection, B/waiter what blocking a request
// on it adds.
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

	var lat []time.Duration
	var perWaiter float64
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
		at := p.playUntil(b, func(recChunk) bool {
			ready, _ := hls.Check(tr, false, hls.Request{MSN: int64(msn), Part: int64(part)})
			return ready
		})
		for _, t := range cl.wait(b) {
			lat = append(lat, t.Sub(at))
		}
	}
	b.StopTimer()
	percentiles(b, lat, "µs")
	b.ReportMetric(float64(n), "waiters")
	b.ReportMetric((connected-start)/float64(n), "B/conn")
	b.ReportMetric(perWaiter, "B/waiter")
}

// waiterClients drives the child process of BenchmarkBlockedWaiters.
type waiterClients struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startWaiterClients starts a child process that holds n connections to
// addr and waits for rounds.
func startWaiterClients(b *testing.B, addr string, n int) *waiterClients {
	cmd := exec.Command(os.Args[0], "-test.run=^TestWaiterClients$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "LIVETREE_WAITER_CLIENTS="+addr+" "+strconv.Itoa(n))
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

// wait returns when each client read its response.
func (cl *waiterClients) wait(b *testing.B) []time.Time {
	fields := strings.Fields(cl.line(b))
	if len(fields) == 0 || fields[0] != "done" {
		b.Fatalf("waiter clients: %v", fields)
	}
	var out []time.Time
	for _, f := range fields[1:] {
		ns, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("waiter clients: %q", f)
		}
		out = append(out, time.Unix(0, ns))
	}
	return out
}

// TestWaiterClients is the child process of BenchmarkBlockedWaiters; it
// does nothing in a normal test run. It holds n connections, and for each
// request path read from stdin sends one request on every connection, then
// prints when each response was fully read.
func TestWaiterClients(t *testing.T) {
	spec := os.Getenv("LIVETREE_WAITER_CLIENTS")
	if spec == "" {
		return
	}
	addr, count, _ := strings.Cut(spec, " ")
	n, _ := strconv.Atoi(count)
	raiseFileLimit()
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Printf("dial %d: %v\n", i, err)
			return
		}
		conns[i], readers[i] = c, bufio.NewReaderSize(c, 4096)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		req := []byte("GET " + in.Text() + " HTTP/1.1\r\nHost: x\r\n\r\n")
		got := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := conns[i].Write(req); err != nil {
					return
				}
				resp, err := http.ReadResponse(readers[i], nil)
				if err != nil {
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK {
					got[i] = time.Now().UnixNano()
				}
			}()
		}
		wg.Wait()
		var line bytes.Buffer
		line.WriteString("done")
		for _, ns := range got {
			if ns == 0 {
				fmt.Println("failed: a waiter got no 200")
				return
			}
			line.WriteString(" " + strconv.FormatInt(ns, 10))
		}
		fmt.Println(line.String())
	}
}

// BenchmarkServePart serves a complete 60 KB part from RAM to parallel
// keep-alive clients on loopback.
func BenchmarkServePart(b *testing.B) {
	const size = 60 << 10
	f := newFixture(b, Config{})
	r := record(b)
	st := r.window("p")
	tr, _ := st.Track(1, false)
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i)
	}
	if err := tr.Append(window.ChunkMeta{MSN: 0, Part: 0, Duration: 18000, Independent: true, EndOfPart: true}, data); err != nil {
		b.Fatal(err)
	}
	f.streams.Add(st)
	name := window.ObjectName{Type: window.ObjPart, Kind: "video", Epoch: r.inits[1].Epoch, MSN: 0, Part: 0}
	req := []byte("GET /live/p/" + name.String() + " HTTP/1.1\r\nHost: x\r\n\r\n")

	b.SetBytes(size)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", f.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReaderSize(c, 64<<10)
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			if n, err := readFixedResponse(br); err != nil || n != size {
				b.Errorf("read %d bytes: %v", n, err)
				return
			}
		}
	})
}

// readFixedResponse reads one response with a Content-Length and discards
// its body, returning the body's length. It does just enough HTTP to keep
// the client's cost out of the measure.
func readFixedResponse(br *bufio.Reader) (int, error) {
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		const cl = "Content-Length: "
		if len(line) > len(cl) && string(line[:len(cl)]) == cl {
			length, _ = strconv.Atoi(string(line[len(cl) : len(line)-2]))
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("no Content-Length")
	}
	n, err := br.Discard(length)
	return n, err
}

// BenchmarkForwardLag measures the time from the append of a video chunk
// to its last byte arriving at each of the clients streaming the segment
// being written. One op is one video chunk; audio chunks are appended
// between them as the packager would.
func BenchmarkForwardLag(b *testing.B) {
	for _, readers := range []int{1, 100} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) { benchForwardLag(b, readers) })
	}
}

func benchForwardLag(b *testing.B, readers int) {
	f := newFixture(b, Config{})
	p := newReplayer(b, "lag")
	f.streams.Add(p.st)
	p.playUntil(b, func(c recChunk) bool { return c.meta.MSN == 2 })
	tr, _ := p.st.Track(1, false)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers, DisableCompression: true}}
	defer hc.CloseIdleConnections()

	type arrival struct {
		total int
		at    time.Time
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	done := 0
	for done < b.N {
		// Start a segment, then stream it to the clients while it is written.
		p.playUntil(b, func(c recChunk) bool { return c.track == 1 && c.meta.Part == 0 })
		last, _ := tr.Last()
		have, _ := last.Bytes(0)
		name := window.ObjectName{Type: window.ObjSegment, Kind: "video", Epoch: last.Init.Epoch, MSN: last.MSN}
		url := f.base + "/live/lag/" + name.String()
		chans := make([]chan arrival, readers)
		for i := range chans {
			ch := make(chan arrival, 1024)
			chans[i] = ch
			go func() {
				defer close(ch)
				resp, err := hc.Get(url)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				buf := make([]byte, 32<<10)
				total := 0
				for {
					n, err := resp.Body.Read(buf)
					if n > 0 {
						total += n
						ch <- arrival{total, time.Now()}
					}
					if err != nil {
						return
					}
				}
			}()
		}
		// waitAll waits for every client to hold want bytes and returns
		// when each got them.
		waitAll := func(want int) []time.Time {
			out := make([]time.Time, 0, readers)
			for _, ch := range chans {
				for a := range ch {
					if a.total >= want {
						out = append(out, a.at)
						break
					}
				}
			}
			return out
		}
		want := len(have)
		waitAll(want)
		for done < b.N {
			c := p.next()
			if c.meta.MSN != last.MSN {
				p.append(b, c)
				if c.track == 1 {
					break // the video segment is complete: the bodies end
				}
				continue
			}
			at := time.Now()
			p.append(b, c)
			if c.track != 1 {
				continue
			}
			want += len(c.data)
			for _, t := range waitAll(want) {
				lat = append(lat, t.Sub(at))
			}
			done++
		}
		if done == b.N {
			// Complete the segment so that the bodies end.
			p.playUntil(b, func(c recChunk) bool { return c.track == 1 && c.meta.MSN != last.MSN })
		}
		for _, ch := range chans {
			for range ch {
			}
		}
	}
	b.StopTimer()
	percentiles(b, lat, "µs")
}
