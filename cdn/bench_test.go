package cdn

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// BenchmarkFanout measures one edge serving complete parts from RAM to N
// concurrent clients.
func BenchmarkFanout(b *testing.B) {
	c := packagertest.Live(b)
	ps := packager.NewStream("f", packager.DefaultConfig())
	sess, err := ps.Publish(c.Tracks)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range c.Frames {
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
