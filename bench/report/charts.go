package report

import (
	"fmt"
	"math"
	"strings"
)

// polyline writes pts as one SVG polyline.
func (p *plot) polyline(pts []Point, stroke string, step bool) {
	b := p.b
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.6" stroke-linejoin="round" points="`, stroke)
	for i, pt := range pts {
		if step && i > 0 {
			fmt.Fprintf(b, "%.1f,%.1f ", p.px(pt.X), p.py(pts[i-1].Y))
		}
		fmt.Fprintf(b, "%.1f,%.1f ", p.px(pt.X), p.py(pt.Y))
	}
	b.WriteString(`"/>` + "\n")
}

// chartSVG renders a chart of time series as an SVG element.
func chartSVG(c Chart) string {
	var b strings.Builder
	series := c.Series
	stacked := c.Stacked && aligned(series)
	if stacked {
		series = stack(series)
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	for _, s := range series {
		for _, pt := range s.Points {
			xlo, xhi = math.Min(xlo, pt.X), math.Max(xhi, pt.X)
			ylo, yhi = math.Min(ylo, pt.Y), math.Max(yhi, pt.Y)
		}
	}
	empty := math.IsInf(xlo, 0)
	if empty {
		xlo, xhi, yhi = 0, 1, 1
	}
	p := plot{b: &b, width: chartW - plotLeft - plotRight, height: plotHeight}
	if c.XUnit == "s" {
		p.x = timeAxis(xlo, xhi)
	} else {
		p.x = valueAxis(xlo, xhi, 8, c.XUnit)
	}
	p.y = valueAxis(ylo, yhi, 5, c.YUnit)
	names := make([]string, len(c.Series))
	for i, s := range c.Series {
		names[i] = s.Name
	}
	legendTop := float64(plotTop + plotHeight + xLabelsH)
	h := legendTop + float64(legendRowH*legendRows(names)) + 4
	openSVG(&b, h, c.Title)
	xTitle := c.XUnit
	if c.XUnit == "s" {
		xTitle = timeTitle(p.x.hi - p.x.lo)
	}
	yTitle := c.YUnit
	if yTitle == UnitFraction {
		yTitle = "%"
	}
	p.frame(yTitle, xTitle)
	if empty {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" fill="#888">no data</text>`+"\n", plotLeft+p.width/2, plotTop+p.height/2)
	}
	if stacked {
		// Draw from the top layer down so each lower band paints over the
		// area under the one above it.
		for i := len(series) - 1; i >= 0; i-- {
			p.area(thin(series[i].Points), colour(i))
		}
	} else {
		for i, s := range series {
			p.polyline(thin(s.Points), colour(i), false)
		}
	}
	legend(&b, names, legendTop)
	b.WriteString("</svg>\n")
	return b.String()
}

// legendRows predicts how many rows legend will use.
func legendRows(names []string) int {
	var b strings.Builder
	return int(legend(&b, names, 0)) / legendRowH
}

// area fills the region under pts down to the x axis.
func (p *plot) area(pts []Point, fill string) {
	if len(pts) == 0 {
		return
	}
	b := p.b
	fmt.Fprintf(b, `<polygon fill="%s" fill-opacity="0.85" stroke="%s" stroke-width="0.8" points="`, fill, fill)
	base := p.py(math.Max(p.y.lo, 0))
	fmt.Fprintf(b, "%.1f,%.1f ", p.px(pts[0].X), base)
	for _, pt := range pts {
		fmt.Fprintf(b, "%.1f,%.1f ", p.px(pt.X), p.py(pt.Y))
	}
	fmt.Fprintf(b, "%.1f,%.1f", p.px(pts[len(pts)-1].X), base)
	b.WriteString(`"/>` + "\n")
}

// aligned reports whether every series has the same x values.
func aligned(series []Series) bool {
	if len(series) == 0 {
		return false
	}
	for _, s := range series[1:] {
		if len(s.Points) != len(series[0].Points) {
			return false
		}
		for i, pt := range s.Points {
			if pt.X != series[0].Points[i].X {
				return false
			}
		}
	}
	return true
}

// stack returns the running sums of aligned series.
func stack(series []Series) []Series {
	out := make([]Series, len(series))
	for i, s := range series {
		pts := make([]Point, len(s.Points))
		for k, pt := range s.Points {
			pts[k] = pt
			if i > 0 {
				pts[k].Y += out[i-1].Points[k].Y
			}
		}
		out[i] = Series{Name: s.Name, Points: pts}
	}
	return out
}

// cdfSVG renders a distribution as a step CDF; values spanning two or more
// decades get a logarithmic x axis.
func cdfSVG(d Dist) string {
	var b strings.Builder
	pts := d.cdf()
	p := plot{b: &b, width: chartW - plotLeft - plotRight, height: plotHeight}
	p.y = valueAxis(0, 1, 5, UnitFraction)
	switch {
	case len(pts) == 0:
		p.x = valueAxis(0, 1, 8, d.Unit)
	case pts[0].X > 0 && pts[len(pts)-1].X/pts[0].X >= 100:
		p.x = logAxis(pts[0].X, pts[len(pts)-1].X)
	default:
		p.x = valueAxis(math.Min(pts[0].X, 0), pts[len(pts)-1].X, 8, d.Unit)
	}
	openSVG(&b, plotTop+plotHeight+xLabelsH+8, d.Title)
	xTitle := d.Unit
	if xTitle == UnitFraction {
		xTitle = "%"
	}
	if p.x.log {
		xTitle += " (log scale)"
	}
	p.frame("cumulative share", xTitle)
	if len(pts) > 0 {
		// The curve starts at zero weight at the smallest value.
		all := append([]Point{{X: pts[0].X, Y: 0}}, pts...)
		p.polyline(thin(all), colour(0), true)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
