package play

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// flashShape is the flash crowd's rate curve: rate(x) ∝ x·e^(−a·x) over
// x in [0, 1], which peaks at x = 1/a.
const flashShape = 5.0

// arrivalTimes returns when each of n viewers arrives, in order, as
// offsets from the start.
func arrivalTimes(p Pattern, n int, over time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	if p == AllAtOnce || over <= 0 || n == 0 {
		return out
	}
	for i := range out {
		q := float64(i) / float64(n)
		x := q
		if p == Flash {
			x = flashInverse(q)
		}
		out[i] = time.Duration(x * float64(over))
	}
	return out
}

// flashCDF is the share of a flash crowd arrived by x in [0, 1].
func flashCDF(x float64) float64 {
	a := flashShape
	return (1 - (1+a*x)*math.Exp(-a*x)) / (1 - (1+a)*math.Exp(-a))
}

// flashInverse returns x with flashCDF(x) = q, by bisection.
func flashInverse(q float64) float64 {
	lo, hi := 0.0, 1.0
	for range 50 {
		m := (lo + hi) / 2
		if flashCDF(m) < q {
			lo = m
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2
}

// viewerSpec is what one viewer plays and where it starts.
type viewerSpec struct {
	proto  Protocol
	stream string
	url    string
}

// specs returns the viewers in arrival order: players in the mix's exact
// proportions, streams and URLs spread evenly, shuffled with the seed.
func specs(c Config) []viewerSpec {
	n := c.Viewers
	protos := apportion(c.Mix, n)
	out := make([]viewerSpec, n)
	// Consecutive viewers come in blocks of one of each player (see
	// apportion); a block goes to one stream, so every stream gets the mix.
	m, s := len(c.Mix), len(c.Streams)
	for i := range out {
		stream := c.Streams[(i/m)%s]
		u := c.URLs[(i/(m*s))%len(c.URLs)]
		out[i] = viewerSpec{proto: protos[i], stream: stream, url: entryURL(u, stream, protos[i])}
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x6c697665))
	rng.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// apportion gives n viewers their players by largest remainder, laid out
// so that every stream gets the same mix.
func apportion(mix []Share, n int) []Protocol {
	total := 0.0
	for _, s := range mix {
		total += s.Weight
	}
	counts := make([]int, len(mix))
	rems := make([]float64, len(mix))
	given := 0
	for i, s := range mix {
		exact := s.Weight / total * float64(n)
		counts[i] = int(exact)
		rems[i] = exact - float64(counts[i])
		given += counts[i]
	}
	for ; given < n; given++ {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		counts[best]++
		rems[best] = -1
	}
	// Interleave: one of each player in turn, while each has viewers left.
	out := make([]Protocol, 0, n)
	for len(out) < n {
		for i, s := range mix {
			if counts[i] > 0 {
				out = append(out, s.Proto)
				counts[i]--
			}
		}
	}
	return out
}

// entryURL fills in the stream and asks for the player's manifest.
func entryURL(u, stream string, p Protocol) string {
	u = strings.ReplaceAll(u, "{stream}", stream)
	path, query, hasQuery := strings.Cut(u, "?")
	switch {
	case p == DASH && strings.HasSuffix(path, "/index.m3u8"):
		path = strings.TrimSuffix(path, "index.m3u8") + "manifest.mpd"
	case p != DASH && strings.HasSuffix(path, "/manifest.mpd"):
		path = strings.TrimSuffix(path, "manifest.mpd") + "index.m3u8"
	}
	if hasQuery {
		return path + "?" + query
	}
	return path
}
