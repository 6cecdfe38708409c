package placement

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// benchFleet is the realistic load of the brief: 200 edges in 5 DCs, 2,000
// streams with trees in place.
var benchFleet = sync.OnceValue(func() *fleet {
	return newFleet(&testing.B{}, fleetSpec{edges: 200, dcs: 5, streams: 2000, seed: 7})
})

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

func BenchmarkChoose(b *testing.B) {
	f := benchFleet()
	reqs := f.requests
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := Choose(f.snap, reqs[i&(len(reqs)-1)])
		if d.n == 0 && !d.Overflow {
			b.Fatal("no decision")
		}
	}
	reportRate(b)
}

func BenchmarkChooseParallel(b *testing.B) {
	f := benchFleet()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			Choose(f.snap, f.requests[i&(len(f.requests)-1)])
			i++
		}
	})
	reportRate(b)
}

// BenchmarkLedgerChoose serialises decisions through one mutex-guarded
// ledger, reset every 5,000 decisions as a 250 ms refresh would at 20,000
// decisions/s.
func BenchmarkLedgerChoose(b *testing.B) {
	f := benchFleet()
	var mu sync.Mutex // guards l
	l := NewLedger(f.snap, 1)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := f.requests[i&(len(f.requests)-1)]
			mu.Lock()
			if l.Count() >= 5000 {
				l.Reset(f.snap)
			}
			l.Choose(r)
			mu.Unlock()
			i++
		}
	})
	reportRate(b)
}

// BenchmarkChooseLatency times every decision alone and reports the tail.
func BenchmarkChooseLatency(b *testing.B) {
	f := benchFleet()
	l := NewLedger(f.snap, 1)
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if l.Count() >= 5000 {
			l.Reset(f.snap)
		}
		start := time.Now()
		l.Choose(f.requests[i&(len(f.requests)-1)])
		lat[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}

func BenchmarkNewSnapshot(b *testing.B) {
	f := benchFleet()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewSnapshot(f.input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlan(b *testing.B) {
	f := benchFleet()
	for _, tc := range []struct{ name, stream string }{
		{"largest", "stream-0000"},
		{"small", "stream-1500"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Plan(f.snap, tc.stream, f.now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("surge-to-whole-fleet", func(b *testing.B) {
		in := f.input
		in.Demand = maps1(in.Demand, "stream-0000", Demand{Viewers: 100000})
		s := mustSnapshot(b, in)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Plan(s, "stream-0000", f.now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPlanAll(b *testing.B) {
	f := benchFleet()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		PlanAll(f.snap, f.now)
	}
	b.ReportMetric(float64(len(f.snap.Streams())), "streams")
}

// maps1 returns a copy of m with key set to v.
func maps1(m map[string]Demand, key string, v Demand) map[string]Demand {
	out := make(map[string]Demand, len(m))
	for k, d := range m {
		out[k] = d
	}
	out[key] = v
	return out
}
