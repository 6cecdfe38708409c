package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"
	"time"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    float64
		unit string
		want string
	}{
		{"integer", 200, "", "200"},
		{"thousands", 1234567, "viewers", "1,234,567 viewers"},
		{"four digits stay", 4321, "", "4321"},
		{"negative thousands", -98765, "", "-98,765"},
		{"fraction as percent", 0.4321, UnitFraction, "43.21 %"},
		{"small", 0.0123, "s", "0.012 s"},
		{"tens", 12.345, "Gbps", "12.35 Gbps"},
		{"hundreds", 123.45, "", "123.5"},
		{"big non-integer", 12345.6, "", "12,346"},
		{"NaN", math.NaN(), "s", "—"},
		{"tiny", 0.00012, "", "0.00012"},
		{"trailing zeros dropped", 0.1, "", "0.1"},
		{"percent of a small fraction", 0.001, UnitFraction, "0.1 %"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatValue(tc.v, tc.unit); got != tc.want {
				t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
			}
		})
	}
}

func TestDistQuantiles(t *testing.T) {
	for _, tc := range []struct {
		name           string
		d              Dist
		q              float64
		want, wantMean float64
	}{
		{"plain median", Dist{Values: []float64{5, 1, 3, 2, 4}}, 0.5, 3, 3},
		{"plain max", Dist{Values: []float64{5, 1, 3, 2, 4}}, 1, 5, 3},
		{"weighted", Dist{Values: []float64{1, 10}, Weights: []float64{9, 1}}, 0.9, 1, 1.9},
		{"weighted p99", Dist{Values: []float64{1, 10}, Weights: []float64{9, 1}}, 0.99, 10, 1.9},
		{"duplicates", Dist{Values: []float64{2, 2, 2, 7}}, 0.75, 2, 3.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Quantile(tc.q); got != tc.want {
				t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
			if got := tc.d.Mean(); math.Abs(got-tc.wantMean) > 1e-9 {
				t.Errorf("Mean = %v, want %v", got, tc.wantMean)
			}
		})
	}
	if !math.IsNaN((Dist{}).Quantile(0.5)) {
		t.Error("empty distribution: want NaN")
	}
}

func sample() *Report {
	r := &Report{Title: "bench sim — test", Mode: "sim", Command: []string{"bench", "sim", "-seed", "1"},
		Start: time.Unix(1_700_000_000, 0).UTC(), End: time.Unix(1_700_000_042, 0).UTC()}
	r.Param("seed", "1")
	r.Add(Figure{Key: "overflow_share", Name: "overflow share (bytes)", Value: 0.43, Unit: UnitFraction, Target: "whatever the fleet cannot carry"})
	r.Add(Figure{Key: "violations", Name: "capacity violations", Value: 0, Limit: &Limit{Max: true}})
	r.Add(Figure{Key: "rate", Name: "decisions per second", Value: 123456, Unit: "1/s"})
	r.Add(Figure{Key: "nan", Name: "not measured", Value: math.NaN()})
	var pts, pts2 []Point
	for i := 0; i < 3000; i++ {
		x := float64(i * 30)
		pts = append(pts, Point{x, 50 + 40*math.Sin(x/8000)})
		pts2 = append(pts2, Point{x, 20 + 10*math.Cos(x/5000)})
	}
	r.Charts = append(r.Charts,
		Chart{Key: "gbps", Title: "Traffic <served & overflow>", XUnit: "s", YUnit: "Gbps", Series: []Series{{Name: "served", Points: pts}, {Name: "overflow", Points: pts2}}},
		Chart{Key: "stacked", Title: "Per DC", XUnit: "s", YUnit: "Gbps", Stacked: true, Series: []Series{{Name: "dc0", Points: pts}, {Name: "dc1", Points: pts2}}},
		Chart{Key: "empty", Title: "Nothing", XUnit: "s", YUnit: UnitFraction},
	)
	r.Dists = append(r.Dists,
		Dist{Key: "tree", Title: "Servers per stream", Unit: "edges", Values: []float64{1, 2, 3, 50, 200}, Weights: []float64{1500, 300, 100, 10, 1}},
		Dist{Key: "lat", Title: "Latency", Unit: "ms", Values: []float64{10, 12, 11, 30}},
	)
	r.Tables = append(r.Tables, Table{Title: "Surges", Columns: []string{"at", "grow"}, Rows: [][]string{{"8:00", "12 s"}, {"16:00", "9 s"}}})
	r.Notes = append(r.Notes, "Viewers are counted per stream & edge.")
	return r
}

func TestCheckAndGate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantFailed []string
		wantErr    error
	}{
		{"no flags: built-in limit holds", nil, nil, nil},
		{"max met", []string{"-max-overflow-share", "0.6"}, nil, nil},
		{"max exceeded", []string{"-max-overflow-share", "0.4"}, []string{"overflow_share"}, nil},
		{"min missed", []string{"-min-rate", "200000"}, []string{"rate"}, nil},
		{"NaN fails a limit", []string{"-max-nan", "1"}, []string{"nan"}, nil},
		{"unknown figure", []string{"-max-latency", "1"}, nil, ErrUnknownFigure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var g Gate
			g.Max(fs, "max-overflow-share", "overflow_share", "")
			g.Min(fs, "min-rate", "rate", "")
			g.Max(fs, "max-nan", "nan", "")
			g.Max(fs, "max-latency", "p99_latency", "")
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := g.Apply(r); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Apply: %v, want %v", err, tc.wantErr)
			}
			var got []string
			for _, f := range r.Check() {
				got = append(got, f.Key)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantFailed, ",") {
				t.Errorf("failed = %v, want %v", got, tc.wantFailed)
			}
			if f, _ := r.Figure("violations"); f.Status != StatusPass {
				t.Errorf("violations status = %q", f.Status)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sample()
	r.Check()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"value": null`) {
		t.Error("NaN figure should be written as null")
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Figures) != len(r.Figures) || back.Figures[0].Value != 0.43 || back.Figures[1].Status != StatusPass {
		t.Errorf("figures did not survive: %+v", back.Figures)
	}
	if got := back.Charts[0].Series[1].Points[2]; got != r.Charts[0].Series[1].Points[2] {
		t.Errorf("point = %v, want %v", got, r.Charts[0].Series[1].Points[2])
	}
}

func TestWriteText(t *testing.T) {
	r := sample()
	r.Check()
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"bench sim — test", "overflow share (bytes)", "43 %", "≤ 0 PASS", "123,456 1/s", "Servers per stream: mean", "Surges", "16:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Values line up: every figure row has its value at the same column.
	col := -1
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "capacity violations") || strings.HasPrefix(line, "decisions per second") {
			i := strings.Index(line, "  ")
			for i < len(line) && line[i] == ' ' {
				i++
			}
			if col >= 0 && i != col {
				t.Errorf("value columns differ: %d vs %d", col, i)
			}
			col = i
		}
	}
}

func TestNiceAxes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi float64
		want   []float64
	}{
		{"zero to 97", 0, 97, []float64{0, 20, 40, 60, 80, 100}},
		{"fractions", 0, 1, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{"flat", 5, 5, []float64{5, 5.2, 5.4, 5.6000000000000005, 5.800000000000001, 6.000000000000001}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := valueAxis(tc.lo, tc.hi, 5, "")
			if len(a.ticks) != len(tc.want) {
				t.Fatalf("ticks = %v, want %v", a.ticks, tc.want)
			}
			for i := range a.ticks {
				if math.Abs(a.ticks[i]-tc.want[i]) > 1e-9 {
					t.Fatalf("ticks = %v, want %v", a.ticks, tc.want)
				}
			}
		})
	}
	a := timeAxis(0, 86400)
	if a.label(a.ticks[1]) != "3:00" || len(a.ticks) != 9 {
		t.Errorf("day axis: ticks %v, second label %q", a.ticks, a.label(a.ticks[1]))
	}
	a = logAxis(1, 200)
	if a.lo != 1 || a.hi != 200 || len(a.ticks) != 8 || a.ticks[3] != 10 {
		t.Errorf("log axis 1..200: lo %v hi %v ticks %v", a.lo, a.hi, a.ticks)
	}
	a = timeAxis(0, 600)
	if a.label(a.ticks[1]) != "2:00" {
		t.Errorf("ten-minute axis: second label %q", a.label(a.ticks[1]))
	}
}

func TestThinKeepsSpikes(t *testing.T) {
	pts := make([]Point, 100000)
	for i := range pts {
		pts[i] = Point{float64(i), 1}
	}
	pts[54321].Y = 99
	out := thin(pts)
	if len(out) > 2*maxBuckets {
		t.Fatalf("thin kept %d points", len(out))
	}
	found := false
	for i, p := range out {
		if p.Y == 99 {
			found = true
		}
		if i > 0 && p.X < out[i-1].X {
			t.Fatal("points out of order")
		}
	}
	if !found {
		t.Error("spike lost")
	}
}
