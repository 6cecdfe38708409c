package report

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Report is the outcome of one bench run.
type Report struct {
	Title   string    `json:"title"`
	Mode    string    `json:"mode"`
	Command []string  `json:"command,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Params are the run's settings, in the order they are shown.
	Params  []Param  `json:"params,omitempty"`
	Figures []Figure `json:"figures"`
	Charts  []Chart  `json:"charts,omitempty"`
	Dists   []Dist   `json:"distributions,omitempty"`
	Tables  []Table  `json:"tables,omitempty"`
	// Notes are sentences printed under the figures: how to read them and
	// which approximations they rest on.
	Notes []string `json:"notes,omitempty"`
}

// Param is one setting of a run.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Status is a figure's verdict against its limit.
type Status string

const (
	// StatusNone means the figure has no limit.
	StatusNone Status = ""
	// StatusPass means the figure is within its limit.
	StatusPass Status = "pass"
	// StatusFail means the figure is past its limit.
	StatusFail Status = "fail"
)

// Figure is one named measurement.
type Figure struct {
	// Key identifies the figure for gates and JSON readers, e.g.
	// "overflow_share"; Name is its label for people.
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	// Target is what the model or the spec expects, shown beside the
	// value; it is text because targets are often ranges or prose.
	Target string `json:"target,omitempty"`
	Limit  *Limit `json:"limit,omitempty"`
	Status Status `json:"status,omitempty"`
}

// MarshalJSON writes a value that is not a finite number as null, which
// encoding/json would otherwise refuse.
func (f Figure) MarshalJSON() ([]byte, error) {
	type plain Figure
	out := struct {
		plain
		Value *float64 `json:"value"`
	}{plain: plain(f)}
	if !math.IsNaN(f.Value) && !math.IsInf(f.Value, 0) {
		out.Value = &f.Value
	}
	return json.Marshal(out)
}

// Limit bounds a figure: at most Value when Max, else at least Value.
type Limit struct {
	Max   bool    `json:"max"`
	Value float64 `json:"value"`
}

// Format renders the limit as "≤ 60 %" or "≥ 100 Mbps" in the figure's
// unit.
func (l Limit) Format(unit string) string {
	if l.Max {
		return "≤ " + FormatValue(l.Value, unit)
	}
	return "≥ " + FormatValue(l.Value, unit)
}

// holds reports whether v satisfies the limit; NaN never does.
func (l Limit) holds(v float64) bool {
	if l.Max {
		return v <= l.Value
	}
	return v >= l.Value
}

// Chart is one chart of time series that share axes.
type Chart struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	// XUnit "s" makes the x axis a duration (ticks such as 6:00 or 1:30);
	// any other unit is shown as plain numbers.
	XUnit string `json:"x_unit"`
	YUnit string `json:"y_unit"`
	// Stacked draws the series as stacked areas; they must then share
	// their x values.
	Stacked bool     `json:"stacked,omitempty"`
	Series  []Series `json:"series"`
}

// Series is one named line of a chart.
type Series struct {
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// Point is one (x, y) sample; it is written to JSON as [x, y].
type Point struct{ X, Y float64 }

// MarshalJSON writes the point as a two-element array.
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]float64{finite(p.X), finite(p.Y)})
}

// UnmarshalJSON reads a two-element array.
func (p *Point) UnmarshalJSON(b []byte) error {
	var a [2]float64
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	p.X, p.Y = a[0], a[1]
	return nil
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// Dist is a distribution, drawn as a CDF: values with optional weights
// (nil means one each), for instance latency samples, or tree sizes with
// the number of streams of each size as weights.
type Dist struct {
	Key     string    `json:"key"`
	Title   string    `json:"title"`
	Unit    string    `json:"unit,omitempty"`
	Values  []float64 `json:"values"`
	Weights []float64 `json:"weights,omitempty"`
}

// cdf returns the distinct values in ascending order with the cumulative
// fraction of weight at or below each.
func (d Dist) cdf() []Point {
	type vw struct{ v, w float64 }
	items := make([]vw, 0, len(d.Values))
	total := 0.0
	for i, v := range d.Values {
		w := 1.0
		if d.Weights != nil {
			w = d.Weights[i]
		}
		if w <= 0 || math.IsNaN(v) {
			continue
		}
		items = append(items, vw{v, w})
		total += w
	}
	if total == 0 {
		return nil
	}
	slices.SortFunc(items, func(a, b vw) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	out := make([]Point, 0, len(items))
	cum := 0.0
	for _, it := range items {
		cum += it.w
		if n := len(out); n > 0 && out[n-1].X == it.v {
			out[n-1].Y = cum / total
			continue
		}
		out = append(out, Point{it.v, cum / total})
	}
	return out
}

// Quantile returns the smallest value at or below which at least q of the
// weight lies (q in [0, 1]); NaN for an empty distribution.
func (d Dist) Quantile(q float64) float64 {
	c := d.cdf()
	if len(c) == 0 {
		return math.NaN()
	}
	for _, p := range c {
		if p.Y >= q-1e-12 {
			return p.X
		}
	}
	return c[len(c)-1].X
}

// Mean returns the weighted mean; NaN for an empty distribution.
func (d Dist) Mean() float64 {
	sum, total := 0.0, 0.0
	for i, v := range d.Values {
		w := 1.0
		if d.Weights != nil {
			w = d.Weights[i]
		}
		sum += v * w
		total += w
	}
	if total == 0 {
		return math.NaN()
	}
	return sum / total
}

// Table is a titled grid of text.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Add appends a figure and returns a pointer to it, valid until the next
// Add.
func (r *Report) Add(f Figure) *Figure {
	r.Figures = append(r.Figures, f)
	return &r.Figures[len(r.Figures)-1]
}

// Figure returns the figure with the given key.
func (r *Report) Figure(key string) (*Figure, bool) {
	for i := range r.Figures {
		if r.Figures[i].Key == key {
			return &r.Figures[i], true
		}
	}
	return nil, false
}

// Param appends a setting.
func (r *Report) Param(name, value string) {
	r.Params = append(r.Params, Param{Name: name, Value: value})
}

// Check sets every figure's Status from its limit and returns the figures
// that fail.
func (r *Report) Check() []Figure {
	var failed []Figure
	for i := range r.Figures {
		f := &r.Figures[i]
		if f.Limit == nil {
			f.Status = StatusNone
			continue
		}
		f.Status = StatusPass
		if !f.Limit.holds(f.Value) {
			f.Status = StatusFail
			failed = append(failed, *f)
		}
	}
	return failed
}
