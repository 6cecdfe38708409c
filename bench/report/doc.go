// Package report is the output every bench mode shares: a Report of named
// figures, time series, distributions and tables, written as an aligned
// terminal summary, a JSON file with every figure, and a self-contained
// HTML page whose charts are inline SVG drawn here, with no scripts and no
// external links.
//
// Figures can carry limits (a maximum or a minimum). A Gate turns command
// line flags such as -max-overflow-share into limits, and Report.Failed
// lists the figures past theirs, so a mode exits non-zero when a run
// misses its target.
package report
