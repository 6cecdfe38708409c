package cdn

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

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

// BenchmarkHopLatency measures the time from a part's append at the origin
// to its arrival at a viewer of a tier-2 edge (origin → A → B → viewer),
// with other viewers of B waiting for the same part.
func BenchmarkHopLatency(b *testing.B) {
	for _, viewers := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
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
			client := &fasthttp.HostClient{Addr: strings.TrimPrefix(bURL, "http://"), MaxConns: viewers + 8,
				ReadTimeout: 10 * time.Second}
			blocked := &edgeB.delivery.Stats().Blocked

			// Background viewers follow the parts as they appear.
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			start := syn.k
			for i := 1; i < viewers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(resp)
					for k := start; ctx.Err() == nil; k++ {
						req.SetRequestURI(bURL + "/live/b/" + syn.name(k))
						if err := client.Do(req, resp); err != nil || resp.StatusCode() != http.StatusOK {
							return
						}
					}
				}()
			}

			lat := make([]time.Duration, 0, b.N)
			got := make(chan time.Time, 1)
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			b.SetBytes(int64(len(syn.data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.SetRequestURI(bURL + "/live/b/" + syn.name(syn.k))
				go func() {
					if err := client.Do(req, resp); err != nil || resp.StatusCode() != http.StatusOK {
						b.Errorf("part: %d %v", resp.StatusCode(), err)
					}
					got <- time.Now()
				}()
				for blocked.Load() < int64(viewers) {
					time.Sleep(50 * time.Microsecond)
				}
				t0 := time.Now()
				syn.append()
				lat = append(lat, (<-got).Sub(t0))
			}
			b.StopTimer()
			cancel()
			syn.append() // wake the background viewers, which then stop
			wg.Wait()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkFanout measures one edge serving complete parts from RAM to N
// concurrent clients.
func BenchmarkFanout(b *testing.B) {
	c := loadSample(b)
	ps := packager.NewStream("f", packager.DefaultConfig())
	sess, err := ps.Publish(c.tracks)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range c.frames {
		_ = sess.WriteFrame(f)
	}
	ps.End()
	streams := window.NewStreams()
	streams.Add(ps.Window())
	o := serveOrigin(b, streams)
	var uris []string
	var total int
	tr, _ := ps.Window().Track(1, false)
	for _, seg := range tr.Segments() {
		for _, p := range seg.Parts() {
			uris = append(uris, fmt.Sprintf("/live/f/video-%s-%d.%d.m4s", seg.Init.Epoch, seg.MSN, p.Index))
			total += p.Size
		}
	}
	for _, clients := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			_, url := startEdge(b, benchConfig("F", o.url))
			if _, st, err := fetch(url + "/live/f/video.m3u8"); err != nil || st != http.StatusOK {
				b.Fatalf("warm up: %d %v", st, err)
			}
			client := &fasthttp.HostClient{Addr: strings.TrimPrefix(url, "http://"), MaxConns: clients}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(int64(total / len(uris)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(resp)
					for {
						n := next.Add(1) - 1
						if n >= int64(b.N) {
							return
						}
						req.SetRequestURI(url + uris[n%int64(len(uris))])
						if err := client.Do(req, resp); err != nil || resp.StatusCode() != http.StatusOK {
							b.Errorf("part: %d %v", resp.StatusCode(), err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// benchConfig is an edge configuration that logs little.
func benchConfig(id, parent string) Config {
	cfg := testConfig(id, parent)
	cfg.IdleTimeout = time.Minute
	return cfg
}
