package delivery

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

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
