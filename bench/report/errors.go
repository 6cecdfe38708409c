package report

import "errors"

// ErrUnknownFigure reports a limit on a figure the report does not have,
// usually a gate flag given to a mode that does not measure it.
var ErrUnknownFigure = errors.New("report: limit on an unknown figure")
