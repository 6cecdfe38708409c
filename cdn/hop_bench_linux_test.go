//go:build linux

package cdn

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/arrival"
	"github.com/livetree/livetree/packager/feed"
	"github.com/livetree/livetree/packager/window"
)

// BenchmarkHopLatency measures the time from a part's append at the origin
// to its arrival at the viewers of a tier-2 edge (origin → A → B →
// viewers). Each round, every viewer asks B for the next part, which
// blocks; once all wait, the part is appended at the origin. One op is one
// round.
//
// "arrive" figures are when the part's last byte reached a socket, from
// the kernel's receive timestamp (package bench/arrival); "read" when the
// client had read it. total is append → viewer arrival, perhop half of it
// (two relaying hops). The hops apart come from two observer feeds, one
// at the origin and one at A, which arrive next to A's and B's own
// upstream feeds: o→A is append → arrival from the origin, A→B arrival
// from A less arrival from the origin, B→viewer viewer arrival less
// arrival from A. The observers make the origin and A write two feeds
// rather than one. The viewers run in a child process with a scheduler of
// their own (arrival.StartClients), as viewers on other machines would:
// reading in the servers' process, they held one of its two processors
// while B's loops wrote, and B's second loop then often waited for the
// first to finish.
func BenchmarkHopLatency(b *testing.B) {
	keep, err := arrival.Keep(time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer keep.Close()
	for _, viewers := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) { benchHopLatency(b, viewers) })
	}
}

func benchHopLatency(b *testing.B, viewers int) {
	syn := newSynth("b", 8<<10)
	streams := window.NewStreams()
	streams.Add(syn.st)
	o := serveOrigin(b, streams)
	_, aURL := startEdge(b, benchConfig("A", o.url))
	edgeB, bURL := startEdge(b, benchConfig("B", aURL))
	syn.append()
	if _, st, err := fetch(bURL + "/live/b/video.m3u8"); err != nil || st != http.StatusOK {
		b.Fatalf("warm up: %d %v", st, err)
	}
	fromOrigin := observeFeed(b, o.url, "b")
	fromA := observeFeed(b, aURL, "b")

	cl, err := arrival.StartClients("TestViewerClients", strings.TrimPrefix(bURL, "http://"), viewers)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	blocked := &edgeB.delivery.Stats().Blocked

	var total, totalRead, hop1, hop2, hop3 []time.Duration
	net0, _ := arrival.ReadNetStats()
	b.SetBytes(int64(len(syn.data) * viewers))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := cl.Round("/live/b/" + syn.name(syn.k)); err != nil {
			b.Fatal(err)
		}
		for blocked.Load() < int64(viewers) {
			time.Sleep(50 * time.Microsecond)
		}
		t0 := time.Now()
		syn.append()
		wakes, err := cl.Wait()
		if err != nil {
			b.Fatalf("viewers: %v", err)
		}
		tO, tA := fromOrigin.next(b), fromA.next(b)
		hop1 = append(hop1, tO.Sub(t0))
		hop2 = append(hop2, tA.Sub(tO))
		for id, w := range wakes {
			if w.Body != int64(len(syn.data)) {
				b.Fatalf("viewer %d: %d bytes, want %d", id, w.Body, len(syn.data))
			}
			total = append(total, w.Arrive.Sub(t0))
			totalRead = append(totalRead, w.Read.Sub(t0))
			hop3 = append(hop3, w.Arrive.Sub(tA))
		}
	}
	b.StopTimer()
	if net1, err := arrival.ReadNetStats(); err == nil {
		d := net1.Sub(net0)
		b.ReportMetric(float64(d.BacklogDrops)/float64(b.N), "drops/op")
		b.ReportMetric(float64(d.RetransSegs)/float64(b.N), "retrans/op")
	}
	perHop := make([]time.Duration, len(total))
	for i, d := range total {
		perHop[i] = d / 2
	}
	quantiles(b, "total-arrive", total)
	quantiles(b, "total-read", totalRead)
	quantiles(b, "perhop-arrive", perHop)
	quantiles(b, "o→A", hop1)
	quantiles(b, "A→B", hop2)
	quantiles(b, "B→viewer", hop3)
}

// TestViewerClients is the child process of BenchmarkHopLatency's viewers
// (see arrival.StartClients); it does nothing in a normal test run.
func TestViewerClients(t *testing.T) { arrival.ServeChild() }

// quantiles reports the p50 and p99 of ds in microseconds.
func quantiles(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Microsecond) }
	b.ReportMetric(q(0.50), "p50-"+name+"-µs")
	b.ReportMetric(q(0.99), "p99-"+name+"-µs")
}

// feedObserver follows a server's feed of one stream, as a child edge
// would, and tells when each live chunk frame arrived at its socket.
type feedObserver struct {
	stamps chan time.Time
}

// observeFeed starts an observer of stream at base and returns once the
// feed is live. It stops when the benchmark ends.
func observeFeed(b *testing.B, base, stream string) *feedObserver {
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	ac, err := arrival.NewConn(c.(*net.TCPConn))
	if err != nil {
		b.Fatal(err)
	}
	req := "GET " + FeedPath + stream + " HTTP/1.1\r\nHost: " + addr + "\r\n" + hopHeader + ": observer\r\n\r\n"
	if _, err := ac.Write([]byte(req)); err != nil {
		b.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(ac), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("observer feed at %s: %v %v", base, resp, err)
	}
	ob := &feedObserver{stamps: make(chan time.Time, 1<<16)}
	live := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := feed.NewReader(resp.Body)
		isLive := false
		r.OnFrame(func(t feed.FrameType) {
			switch {
			case t == feed.FrameLive && !isLive:
				isLive = true
				close(live)
			case t == feed.FrameChunk && isLive:
				// The read that completed the frame holds its last byte.
				ob.stamps <- ac.Stamp().Last
			}
		})
		cfg, err := r.Header()
		if err != nil {
			return
		}
		_ = r.Apply(window.NewStream(stream, cfg))
	}()
	b.Cleanup(func() {
		ac.Close()
		<-done
	})
	select {
	case <-live:
	case <-done:
		b.Fatalf("observer feed at %s ended", base)
	case <-time.After(5 * time.Second):
		b.Fatalf("observer feed at %s: not live after 5 s", base)
	}
	return ob
}

// next returns when the next live chunk arrived.
func (ob *feedObserver) next(b *testing.B) time.Time {
	select {
	case t := <-ob.stamps:
		if t.IsZero() {
			b.Fatal("observer: a chunk without a receive timestamp")
		}
		return t
	case <-time.After(5 * time.Second):
		b.Fatal("observer: no chunk for 5 s")
	}
	return time.Time{}
}

// synth writes a synthetic video track, one chunk per part, so a benchmark
// decides the instant each part appears.
type synth struct {
	st     *window.Stream
	tr     *window.Track
	k      int // parts appended
	perSeg int
	data   []byte
}

func newSynth(name string, chunk int) *synth {
	st := window.NewStream(name, window.Config{SegmentTarget: time.Second, PartTarget: 200 * time.Millisecond, Span: 10 * time.Second})
	tr, _ := st.Track(1, true)
	tr.SetInit(&window.Init{Epoch: "bench", Data: []byte("init"), Info: window.TrackInfo{
		ID: 1, Kind: "video", Codec: "avc1.64001f", Timescale: 90000, Width: 640, Height: 360}})
	data := make([]byte, chunk)
	for i := range data {
		data[i] = byte(i)
	}
	return &synth{st: st, tr: tr, perSeg: 5, data: data}
}

// name returns the name of part k.
func (s *synth) name(k int) string {
	return fmt.Sprintf("video-bench-%d.%d.m4s", k/s.perSeg, k%s.perSeg)
}

// append writes the next part.
func (s *synth) append() {
	const dur = 18000 // 200 ms at 90 kHz
	m := window.ChunkMeta{MSN: uint64(s.k / s.perSeg), Part: s.k % s.perSeg, DTS: uint64(s.k) * dur,
		Duration: dur, Wallclock: time.Now(), Independent: s.k%s.perSeg == 0, EndOfPart: true}
	if err := s.tr.Append(m, s.data); err != nil {
		panic(err)
	}
	s.k++
	if s.k%s.perSeg == 0 {
		s.st.Evict()
	}
}
