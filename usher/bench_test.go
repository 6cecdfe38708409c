package usher

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/usher/placement"
)

// benchFleet builds a realistic view: edges 1 Gbps edges in five DCs at
// 20-70 % load, and streams whose popularity follows a power law, each
// carried by one to six edges.
func benchFleet(tb testing.TB, nEdges, nStreams int, now time.Time) *view {
	rng := rand.New(rand.NewPCG(1, 2))
	dcs := []string{"ams", "fra", "lon", "par", "waw"}
	edges := make([]placement.Edge, nEdges)
	for i := range edges {
		edges[i] = placement.Edge{
			ID: fmt.Sprintf("edge-%03d", i), URL: fmt.Sprintf("https://edge-%03d.cdn.test", i), DC: dcs[i%len(dcs)],
			CapacityMbps: 1000, EgressMbps: 200 + 500*rng.Float64(), LastSeen: now,
			Streams: map[string]placement.StreamOnEdge{},
		}
	}
	origins := make(map[string]placement.Origin, nStreams)
	demand := make(map[string]placement.Demand, nStreams)
	for s := range nStreams {
		name := fmt.Sprintf("stream-%04d", s)
		origins[name] = placement.Origin{URL: "http://ingest.test", BitrateMbps: 3 + rng.Float64()*3}
		viewers := int(2000 / float64(s+1))
		demand[name] = placement.Demand{Viewers: viewers, Velocity: float64(viewers) / 60}
		carriers := 1 + min(5, viewers/100)
		for c := range carriers {
			e := &edges[rng.IntN(nEdges)]
			parent := ""
			if c > 0 {
				parent = edges[(s+c)%nEdges].ID
			}
			e.Streams[name] = placement.StreamOnEdge{Viewers: viewers / carriers, Parent: parent}
		}
	}
	d := placement.DefaultDials()
	d.OverflowURL = "https://overflow.test/{stream}/{path}"
	d.DCCost = map[string]float64{"ams": 0.2, "fra": 0.1, "lon": 0.3, "par": 0.2, "waw": 0.05}
	snap, err := placement.NewSnapshot(placement.Input{
		Edges: edges, Origins: origins, Demand: demand, Dials: d, Taken: now,
		Latency: map[string]map[string]float64{"europe": {"ams": 15, "fra": 12, "lon": 20, "par": 18, "waw": 25}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &view{snap: snap, drain: map[string]bool{}}
}

// benchServer is a Server that serves v without running its loops, so the
// snapshot stays as built.
func benchServer(b *testing.B, v *view) *Server {
	cfg := DefaultConfig()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Redis = "" // embedded: the benchmark measures the handler, not Redis
	cfg.TrustProxy = true
	cfg.ISPTablePath = "testdata/isp.txt"
	cfg.DC = "fra"
	cfg.TokenKeys = map[string][]byte{"k1": []byte(testTokenKey)}
	cfg.TokenKeyID = "k1"
	s, err := New(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	s.install(v)
	return s
}

// benchPaths returns request paths with power-law stream popularity.
func benchPaths(n, streams int) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(rng, 1.1, 1, uint64(streams-1))
	out := make([]string, n)
	for i := range out {
		file := fileHLS
		if i%4 == 0 {
			file = fileDASH
		}
		out[i] = fmt.Sprintf("/live/stream-%04d/%s", z.Uint64(), file)
	}
	return out
}

var benchIPs = []string{"203.0.113.7", "198.51.100.9", "192.0.2.44", "2001:db8::1"}

// ledgerResetEvery resets the ledger as a 250 ms refresh would at 20,000
// redirects per second.
const ledgerResetEvery = 5000

// BenchmarkRedirect measures the real fasthttp handler, one request at a
// time, and reports the p50 and p99 time of one call.
func BenchmarkRedirect(b *testing.B) {
	now := time.Now()
	v := benchFleet(b, 200, 2000, now)
	s := benchServer(b, v)
	paths := benchPaths(1<<14, 2000)
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
	samples := make([]int64, 0, min(b.N, 1<<20))
	redirects := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%ledgerResetEvery == 0 {
			s.install(v)
		}
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI(paths[i&(len(paths)-1)])
		ctx.Request.Header.Set("X-Forwarded-For", benchIPs[i&3])
		t0 := time.Now()
		s.handlePublic(&ctx)
		el := time.Since(t0)
		if len(samples) < cap(samples) {
			samples = append(samples, int64(el))
		}
		if ctx.Response.StatusCode() == fasthttp.StatusFound {
			redirects++
		}
	}
	b.StopTimer()
	if redirects != b.N {
		b.Fatalf("%d of %d requests redirected", redirects, b.N)
	}
	reportQuantiles(b, samples)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "redirects/s")
}

// BenchmarkRedirectParallel runs the handler on every core, sharing one
// ledger as the server does.
func BenchmarkRedirectParallel(b *testing.B) {
	now := time.Now()
	v := benchFleet(b, 200, 2000, now)
	s := benchServer(b, v)
	paths := benchPaths(1<<14, 2000)
	var mu sync.Mutex // guards all
	var all []int64
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
		samples := make([]int64, 0, 1<<16)
		i := 0
		for pb.Next() {
			ctx.Request.Reset()
			ctx.Response.Reset()
			ctx.Request.SetRequestURI(paths[i&(len(paths)-1)])
			ctx.Request.Header.Set("X-Forwarded-For", benchIPs[i&3])
			t0 := time.Now()
			s.handlePublic(&ctx)
			if len(samples) < cap(samples) {
				samples = append(samples, int64(time.Since(t0)))
			}
			i++
			if i%ledgerResetEvery == 0 {
				s.install(v)
			}
		}
		mu.Lock()
		all = append(all, samples...)
		n += int64(i)
		mu.Unlock()
	})
	b.StopTimer()
	reportQuantiles(b, all)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "redirects/s")
}

// BenchmarkRedirectHTTP sends real requests over loopback with keep-alive
// connections; client and server share the machine's cores.
func BenchmarkRedirectHTTP(b *testing.B) {
	now := time.Now()
	v := benchFleet(b, 200, 2000, now)
	s := benchServer(b, v)
	go func() { _ = s.httpSrv.Serve(s.httpLn) }()
	b.Cleanup(func() { _ = s.httpSrv.Shutdown() })
	paths := benchPaths(1<<14, 2000)
	hc := &fasthttp.HostClient{Addr: s.HTTPAddr(), MaxConns: 64}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.install(v)
			}
		}
	}()
	defer close(stop)
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		i := 0
		for pb.Next() {
			req.SetRequestURI("http://" + s.HTTPAddr() + paths[i&(len(paths)-1)])
			req.Header.Set("X-Forwarded-For", benchIPs[i&3])
			if err := hc.Do(req, resp); err != nil {
				b.Error(err)
				return
			}
			if resp.StatusCode() != fasthttp.StatusFound {
				b.Errorf("status %d", resp.StatusCode())
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "redirects/s")
}

// BenchmarkSpikeToTree reports the time from a burst of arrivals to the
// grown tree in Redis.
func BenchmarkSpikeToTree(b *testing.B) {
	var total time.Duration
	for range b.N {
		total += spikeToTree(b)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/spike")
}

func reportQuantiles(b *testing.B, samples []int64) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	q := func(p float64) float64 { return float64(samples[int(p*float64(len(samples)-1))]) }
	b.ReportMetric(q(0.5), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
}
