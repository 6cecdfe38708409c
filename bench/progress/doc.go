// Package progress shows a run's live status on one terminal line,
// redrawn in place, or as a line every few seconds when the output is not
// a terminal (a log file, CI).
package progress
