package sim

import (
	"math"
	"math/rand/v2"
)

// poisson draws from a Poisson distribution of mean mu: by inversion for
// small means, by its normal approximation for large ones.
func poisson(r *rand.Rand, mu float64) int {
	switch {
	case !(mu > 0):
		return 0
	case mu < 30:
		u := r.Float64()
		p := math.Exp(-mu)
		cum := p
		k := 0
		for u > cum && k < 200 {
			k++
			p *= mu / float64(k)
			cum += p
		}
		return k
	default:
		return max(0, int(math.Round(mu+math.Sqrt(mu)*r.NormFloat64())))
	}
}

// alias samples an index in proportion to fixed weights in O(1)
// (Walker's alias method).
type alias struct {
	prob  []float64
	other []int32
}

func newAlias(weights []float64) alias {
	n := len(weights)
	a := alias{prob: make([]float64, n), other: make([]int32, n)}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	scaled := make([]float64, n)
	var small, large []int32
	for i, w := range weights {
		scaled[i] = w * float64(n) / total
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.other[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i], a.other[i] = 1, i
	}
	return a
}

func (a *alias) draw(r *rand.Rand) int32 {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return int32(i)
	}
	return a.other[i]
}

// fenwick keeps prefix sums of per-stream viewer counts, so a uniformly
// random viewer can be found in O(log n).
type fenwick struct {
	tree []int64 // 1-based
	top  int     // highest power of two <= len
}

func newFenwick(n int) fenwick {
	top := 1
	for top*2 <= n {
		top *= 2
	}
	return fenwick{tree: make([]int64, n+1), top: top}
}

func (f *fenwick) add(i int32, d int64) {
	for k := int(i) + 1; k < len(f.tree); k += k & -k {
		f.tree[k] += d
	}
}

// find returns the index whose cumulative range holds u (0 <= u < total).
func (f *fenwick) find(u int64) int32 {
	pos := 0
	for step := f.top; step > 0; step >>= 1 {
		if next := pos + step; next < len(f.tree) && f.tree[next] <= u {
			pos = next
			u -= f.tree[next]
		}
	}
	return int32(pos)
}
