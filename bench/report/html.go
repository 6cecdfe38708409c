package report

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"
)

// style is the page's only styling; the page loads nothing else.
const style = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0; background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 4px; }
code { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f3f3f3; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; color: #444; }
table.quantiles { width: auto; }
table.quantiles th, table.quantiles td { text-align: center; padding: 4px 14px; }
td.limit { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #c62828; font-weight: 600; }
.verdict { padding: 8px 12px; border-radius: 4px; margin: 12px 0; font-weight: 600; }
.verdict.pass { background: #e8f5e9; }
.verdict.fail { background: #fdecea; }
figure { margin: 18px 0 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { max-width: 100%; height: auto; display: block; }
ul.notes li { margin-bottom: 4px; }
`

// WriteHTML writes a self-contained page: figures, charts as inline SVG,
// distributions as CDFs with their quantiles, tables, notes and the run's
// parameters. It has no scripts and links to nothing.
func WriteHTML(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	esc := html.EscapeString
	fmt.Fprintf(ew, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(r.Title), style)
	fmt.Fprintf(ew, "<h1>%s</h1>\n", esc(r.Title))
	if !r.Start.IsZero() {
		fmt.Fprintf(ew, "<p class=\"meta\">mode <b>%s</b> · ran %s · took %s</p>\n", esc(r.Mode), esc(r.Start.Format(time.RFC3339)), esc(r.End.Sub(r.Start).Round(10*time.Millisecond).String()))
	}
	if len(r.Command) > 0 {
		fmt.Fprintf(ew, "<p class=\"meta\"><code>%s</code></p>\n", esc(strings.Join(r.Command, " ")))
	}
	writeVerdict(ew, r)
	writeFigures(ew, r)
	if len(r.Charts) > 0 {
		fmt.Fprintf(ew, "<h2>Time series</h2>\n")
		for _, c := range r.Charts {
			fmt.Fprintf(ew, "<figure id=\"%s\">\n<figcaption>%s</figcaption>\n%s</figure>\n", esc(c.Key), esc(c.Title), chartSVG(c))
		}
	}
	if len(r.Dists) > 0 {
		fmt.Fprintf(ew, "<h2>Distributions</h2>\n")
		for _, d := range r.Dists {
			fmt.Fprintf(ew, "<figure id=\"%s\">\n<figcaption>%s</figcaption>\n%s", esc(d.Key), esc(d.Title), cdfSVG(d))
			fmt.Fprintf(ew, "<table class=\"quantiles\"><tr><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr><tr>")
			for _, v := range []float64{d.Mean(), d.Quantile(0.5), d.Quantile(0.9), d.Quantile(0.99), d.Quantile(1)} {
				fmt.Fprintf(ew, "<td class=\"num\">%s</td>", esc(FormatValue(v, d.Unit)))
			}
			fmt.Fprintf(ew, "</tr></table>\n</figure>\n")
		}
	}
	for _, t := range r.Tables {
		fmt.Fprintf(ew, "<h2>%s</h2>\n<table>\n<tr>", esc(t.Title))
		for _, c := range t.Columns {
			fmt.Fprintf(ew, "<th>%s</th>", esc(c))
		}
		fmt.Fprintf(ew, "</tr>\n")
		for _, row := range t.Rows {
			fmt.Fprintf(ew, "<tr>")
			for _, cell := range row {
				fmt.Fprintf(ew, "<td>%s</td>", esc(cell))
			}
			fmt.Fprintf(ew, "</tr>\n")
		}
		fmt.Fprintf(ew, "</table>\n")
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(ew, "<h2>Notes</h2>\n<ul class=\"notes\">\n")
		for _, n := range r.Notes {
			fmt.Fprintf(ew, "<li>%s</li>\n", esc(n))
		}
		fmt.Fprintf(ew, "</ul>\n")
	}
	if len(r.Params) > 0 {
		fmt.Fprintf(ew, "<h2>Parameters</h2>\n<table>\n")
		for _, p := range r.Params {
			fmt.Fprintf(ew, "<tr><th>%s</th><td>%s</td></tr>\n", esc(p.Name), esc(p.Value))
		}
		fmt.Fprintf(ew, "</table>\n")
	}
	fmt.Fprintf(ew, "</main>\n</body>\n</html>\n")
	return ew.err
}

// writeVerdict prints a pass or fail banner when any figure has a limit.
func writeVerdict(w io.Writer, r *Report) {
	limited, failed := 0, []string{}
	for _, f := range r.Figures {
		if f.Limit == nil {
			continue
		}
		limited++
		if f.Status == StatusFail {
			failed = append(failed, f.Name)
		}
	}
	switch {
	case limited == 0:
	case len(failed) == 0:
		fmt.Fprintf(w, "<p class=\"verdict pass\">PASS — all %d limits met</p>\n", limited)
	default:
		fmt.Fprintf(w, "<p class=\"verdict fail\">FAIL — past the limit: %s</p>\n", html.EscapeString(strings.Join(failed, "; ")))
	}
}

func writeFigures(w io.Writer, r *Report) {
	esc := html.EscapeString
	fmt.Fprintf(w, "<h2>Figures</h2>\n<table>\n<tr><th>figure</th><th>value</th><th>target</th><th>limit</th></tr>\n")
	for _, f := range r.Figures {
		limit := ""
		if f.Limit != nil {
			limit = fmt.Sprintf("%s <span class=\"%s\">%s</span>", esc(f.Limit.Format(f.Unit)), f.Status, strings.ToUpper(string(f.Status)))
		}
		fmt.Fprintf(w, "<tr><td title=\"%s\">%s</td><td class=\"num\">%s</td><td>%s</td><td class=\"limit\">%s</td></tr>\n",
			esc(f.Key), esc(f.Name), esc(FormatValue(f.Value, f.Unit)), esc(f.Target), limit)
	}
	fmt.Fprintf(w, "</table>\n")
}
