package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPoisson(t *testing.T) {
	for _, tc := range []struct {
		name string
		mu   float64
	}{
		{"zero", 0},
		{"small", 0.3},
		{"inversion", 12},
		{"normal approximation", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			const n = 20000
			sum, sq := 0.0, 0.0
			for range n {
				k := float64(poisson(r, tc.mu))
				if k < 0 {
					t.Fatal("negative draw")
				}
				sum += k
				sq += k * k
			}
			mean := sum / n
			variance := sq/n - mean*mean
			tol := 4*math.Sqrt(tc.mu/n) + 1e-9
			if math.Abs(mean-tc.mu) > tol {
				t.Errorf("mean %.3f, want %.3f ± %.3f", mean, tc.mu, tol)
			}
			if math.Abs(variance-tc.mu) > 0.1*tc.mu+1e-9 {
				t.Errorf("variance %.3f, want about %.3f", variance, tc.mu)
			}
		})
	}
}

func TestAlias(t *testing.T) {
	w := []float64{5, 1, 0, 3, 1}
	a := newAlias(w)
	r := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, len(w))
	const n = 100000
	for range n {
		counts[a.draw(r)]++
	}
	for i, c := range counts {
		want := w[i] / 10 * n
		if math.Abs(float64(c)-want) > 5*math.Sqrt(want+1) {
			t.Errorf("index %d drawn %d times, want about %.0f", i, c, want)
		}
	}
}

func TestFenwick(t *testing.T) {
	counts := []int64{3, 0, 5, 1, 0, 0, 2}
	f := newFenwick(len(counts))
	for i, c := range counts {
		f.add(int32(i), c)
	}
	u := int64(0)
	for i, c := range counts {
		for range c {
			if got := f.find(u); got != int32(i) {
				t.Fatalf("find(%d) = %d, want %d", u, got, i)
			}
			u++
		}
	}
	f.add(2, -5)
	if got := f.find(3); got != 3 {
		t.Errorf("after emptying index 2, find(3) = %d, want 3", got)
	}
}
