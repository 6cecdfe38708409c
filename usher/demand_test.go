package usher

import (
	"math"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

func TestDemandReader(t *testing.T) {
	cfg := DefaultConfig()
	cfg.VelocityWindow = 2 * time.Second
	cfg.ViewerWindow = 4 * time.Second
	d := newDemandReader(cfg)
	base := time.Unix(1_800_000_000, 0)
	now := base.Add(500 * time.Millisecond) // half way through second 0

	if got := d.toFetch(now); len(got) != 4 || got[0] != base.Unix()-3 || got[3] != base.Unix() {
		t.Fatalf("toFetch %v", got)
	}
	sec := base.Unix()
	fetched := map[int64]map[string]int64{
		sec - 3: {"s": 8, "s\teurope": 8},
		sec - 2: {"s": 4},
		sec - 1: {"s": 2, "s\teurope": 1, "s\tasia": 1},
		sec:     {"s": 1, "t": 3},
	}
	dm := d.demand(now, fetched)
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"viewers of s over 4 s", float64(dm["s"].Viewers), 15},
		// Velocity over the last 1.5 s (one whole second and a half).
		{"velocity of s", dm["s"].Velocity, 3.0 / 1.5},
		{"velocity of t", dm["t"].Velocity, 3.0 / 1.5},
		{"europe", float64(dm["s"].ByRegion["europe"]), 9},
		{"asia", float64(dm["s"].ByRegion["asia"]), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9 {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	// Buckets two seconds old are final and are not fetched again.
	if got := d.toFetch(now); len(got) != 2 {
		t.Errorf("after a read, toFetch %v, want the last two seconds", got)
	}
}

func TestArrivalsPutBack(t *testing.T) {
	var a arrivals
	a.add(10, "s", "eu")
	a.add(10, "s", "")
	p := a.take()
	if p[10][arrKey{stream: "s"}] != 2 || p[10][arrKey{"s", "eu"}] != 1 {
		t.Fatalf("counts %v", p)
	}
	a.add(10, "s", "")
	a.add(3, "s", "")
	a.putBack(p, 5)
	p = a.take()
	if p[10][arrKey{stream: "s"}] != 3 {
		t.Errorf("merged count %d, want 3", p[10][arrKey{stream: "s"}])
	}
	if p[3][arrKey{stream: "s"}] != 1 {
		t.Errorf("pending second 3 dropped by putBack")
	}
}

func TestFloorEgress(t *testing.T) {
	origins := map[string]placement.Origin{"s": {URL: "http://o", BitrateMbps: 5}}
	edges := []placement.Edge{
		{ID: "p", EgressMbps: 3, Streams: map[string]placement.StreamOnEdge{"s": {Viewers: 2}}},
		{ID: "c", EgressMbps: 100, Streams: map[string]placement.StreamOnEdge{"s": {Viewers: 1, Parent: "p"}, "gone": {Viewers: 9}}},
	}
	floorEgress(edges, origins)
	// p: 2 viewers + 1 child at 5 Mbps = 15 > 3 measured; c keeps its
	// larger measurement; a stream without origin costs nothing.
	if edges[0].EgressMbps != 15 || edges[1].EgressMbps != 100 {
		t.Errorf("egress %v, %v; want 15, 100", edges[0].EgressMbps, edges[1].EgressMbps)
	}
}
