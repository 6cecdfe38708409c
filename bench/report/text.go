package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the terminal summary: a header, every figure in an
// aligned table with its target, limit and verdict, distribution
// quantiles, and the tables.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s\n", r.Title)
	if !r.Start.IsZero() {
		fmt.Fprintf(ew, "  ran %s, took %s\n", r.Start.Format(time.RFC3339), r.End.Sub(r.Start).Round(10*time.Millisecond))
	}
	if len(r.Command) > 0 {
		fmt.Fprintf(ew, "  command: %s\n", strings.Join(r.Command, " "))
	}
	for _, p := range r.Params {
		fmt.Fprintf(ew, "  %s: %s\n", p.Name, p.Value)
	}
	fmt.Fprintln(ew)

	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\ttarget\tlimit\t")
	for _, f := range r.Figures {
		limit := ""
		if f.Limit != nil {
			limit = f.Limit.Format(f.Unit) + " " + strings.ToUpper(string(f.Status))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", f.Name, FormatValue(f.Value, f.Unit), f.Target, limit)
	}
	tw.Flush()

	for _, d := range r.Dists {
		fmt.Fprintf(ew, "\n%s: mean %s, p50 %s, p90 %s, p99 %s, max %s\n", d.Title,
			FormatValue(d.Mean(), d.Unit), FormatValue(d.Quantile(0.5), d.Unit), FormatValue(d.Quantile(0.9), d.Unit),
			FormatValue(d.Quantile(0.99), d.Unit), FormatValue(d.Quantile(1), d.Unit))
	}
	for _, t := range r.Tables {
		fmt.Fprintf(ew, "\n%s\n", t.Title)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t")+"\t")
		for _, row := range t.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	}
	return ew.err
}

// errWriter keeps the first write error so the writers can print freely
// and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}
