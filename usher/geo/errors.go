package geo

import (
	"errors"
	"fmt"
)

// ErrNotFound reports an address the country database has no record for.
var ErrNotFound = errors.New("geo: address not found")

// ErrSyntax reports a malformed line of an ISP routing table.
var ErrSyntax = errors.New("geo: syntax error")

// ErrDuplicatePrefix reports a prefix listed twice in an ISP routing table.
var ErrDuplicatePrefix = errors.New("geo: duplicate prefix")

// LineError locates an error in an ISP routing table file.
type LineError struct {
	Line int // 1-based
	Err  error
}

// Error returns the line number and the underlying error.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }
