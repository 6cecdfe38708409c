package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart geometry in SVG user units.
const (
	chartW     = 960
	plotLeft   = 72
	plotRight  = 24
	plotTop    = 12
	plotHeight = 240
	xLabelsH   = 30
	legendRowH = 20
	// maxBuckets bounds the points drawn per series; longer series are cut
	// into buckets that each keep their minimum and maximum, so spikes
	// survive the thinning.
	maxBuckets = 600
)

// palette is the Okabe–Ito set, readable by colour-blind readers, with a
// dark olive in place of its yellow, which is too pale on white.
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d31", "#000000"}

func colour(i int) string { return palette[i%len(palette)] }

// axis maps data values to one SVG coordinate range.
type axis struct {
	lo, hi float64
	log    bool
	ticks  []float64
	label  func(float64) string
}

func (a *axis) frac(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// niceStep returns a round step (1, 2, 2.5 or 5 × 10ⁿ) that cuts span
// into at most n intervals.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		// 2.5 × 10ⁿ only from 25 up, so small integer data keeps integer
		// ticks.
		if m == 2.5 && mag < 10 {
			continue
		}
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// valueAxis spans [lo, hi] widened to round ticks.
func valueAxis(lo, hi float64, n int, unit string) axis {
	if !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep(hi-lo, n)
	a := axis{lo: math.Floor(lo/step+1e-9) * step, hi: math.Ceil(hi/step-1e-9) * step}
	for v := a.lo; v <= a.hi+step/1e6; v += step {
		a.ticks = append(a.ticks, v)
	}
	a.label = func(v float64) string {
		if unit == UnitFraction {
			return formatNumber(round6(v*100)) + "%"
		}
		return formatNumber(round6(v))
	}
	return a
}

// round6 removes float noise such as 0.30000000000000004 from tick values.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// logAxis spans [lo, hi] from the decade below lo to the next 1, 2 or
// 5 × 10ⁿ at or above hi, with ticks on that 1-2-5 sequence; lo must be
// positive.
func logAxis(lo, hi float64) axis {
	a := axis{log: true, lo: math.Pow(10, math.Floor(math.Log10(lo)))}
	for v := a.lo; ; v *= 10 {
		for _, m := range []float64{1, 2, 5} {
			t := v * m
			a.ticks = append(a.ticks, t)
			if t >= hi*(1-1e-9) && t > a.lo {
				a.hi = t
				a.label = func(v float64) string { return formatNumber(v) }
				return a
			}
		}
	}
}

// timeSteps are the tick spacings a time axis may use, in seconds.
var timeSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeAxis spans exactly [lo, hi] seconds with ticks on round durations.
func timeAxis(lo, hi float64) axis {
	if !(hi > lo) {
		hi = lo + 1
	}
	span := hi - lo
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	a := axis{lo: lo, hi: hi}
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		a.ticks = append(a.ticks, v)
	}
	a.label = func(v float64) string { return formatClock(v, span) }
	return a
}

// timeTitle names a time axis by the format formatClock uses for span.
func timeTitle(span float64) string {
	switch {
	case span >= 3*3600:
		return "time (h:mm)"
	case span >= 120:
		return "time (m:ss)"
	default:
		return "time"
	}
}

// thin keeps at most about 2×maxBuckets points: each bucket of
// consecutive points contributes its lowest and highest, in x order.
func thin(pts []Point) []Point {
	if len(pts) <= 2*maxBuckets {
		return pts
	}
	out := make([]Point, 0, 2*maxBuckets+2)
	size := float64(len(pts)) / maxBuckets
	for b := 0; b < maxBuckets; b++ {
		lo, hi := int(float64(b)*size), int(float64(b+1)*size)
		if hi > len(pts) {
			hi = len(pts)
		}
		if lo >= hi {
			continue
		}
		mi, ma := lo, lo
		for i := lo; i < hi; i++ {
			if pts[i].Y < pts[mi].Y {
				mi = i
			}
			if pts[i].Y > pts[ma].Y {
				ma = i
			}
		}
		if mi > ma {
			mi, ma = ma, mi
		}
		out = append(out, pts[mi])
		if ma != mi {
			out = append(out, pts[ma])
		}
	}
	return out
}

// plot is one chart being drawn.
type plot struct {
	b      *strings.Builder
	x, y   axis
	width  float64 // plot area width
	height float64
}

func (p *plot) px(v float64) float64 { return plotLeft + p.x.frac(v)*p.width }
func (p *plot) py(v float64) float64 { return plotTop + (1-p.y.frac(v))*p.height }

// frame draws the grid, the tick labels and the axis titles.
func (p *plot) frame(yTitle, xTitle string) {
	b := p.b
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="#fafafa" stroke="#ccc"/>`+"\n", plotLeft, plotTop, p.width, p.height)
	for _, t := range p.y.ticks {
		y := p.py(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`, plotLeft, y, plotLeft+p.width, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#444">%s</text>`+"\n", plotLeft-6, y+4, html.EscapeString(p.y.label(t)))
	}
	for _, t := range p.x.ticks {
		x := p.px(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`, x, plotTop, x, plotTop+p.height)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="#444">%s</text>`+"\n", x, plotTop+p.height+16, html.EscapeString(p.x.label(t)))
	}
	if yTitle != "" {
		fmt.Fprintf(b, `<text x="14" y="%.1f" font-size="11" fill="#444" transform="rotate(-90 14 %.1f)" text-anchor="middle">%s</text>`+"\n",
			plotTop+p.height/2, plotTop+p.height/2, html.EscapeString(yTitle))
	}
	if xTitle != "" {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="11" fill="#444" text-anchor="middle">%s</text>`+"\n",
			plotLeft+p.width/2, plotTop+p.height+28, html.EscapeString(xTitle))
	}
}

// legend draws one swatch and name per series below the plot, wrapping
// rows, and returns the height it used.
func legend(b *strings.Builder, names []string, top float64) float64 {
	x, row := float64(plotLeft), 0
	for i, name := range names {
		w := 28 + 6.5*float64(len([]rune(name)))
		if x+w > chartW-plotRight && x > plotLeft {
			x, row = plotLeft, row+1
		}
		y := top + float64(row*legendRowH)
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="14" height="10" fill="%s"/>`, x, y+2, colour(i))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" fill="#222">%s</text>`+"\n", x+19, y+11, html.EscapeString(name))
		x += w + 12
	}
	if len(names) == 0 {
		return 0
	}
	return float64((row + 1) * legendRowH)
}

func openSVG(b *strings.Builder, h float64, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %.0f" width="%d" height="%.0f" role="img" aria-label="%s">`+"\n",
		chartW, h, chartW, h, html.EscapeString(title))
}
