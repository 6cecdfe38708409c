package delivery

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

var (
	// ErrBadStreamName is returned for a stream name outside
	// ^[A-Za-z0-9_-]{1,64}$.
	ErrBadStreamName = errors.New("delivery: bad stream name")
	// ErrNotFound is returned for an unknown route, stream, track or object,
	// and for an object too far in the future to wait for.
	ErrNotFound = errors.New("delivery: not found")
	// ErrGone is returned for an object that has left the window.
	ErrGone = errors.New("delivery: object left the window")
	// ErrNotReady is returned when what a request waits for does not come
	// within the stream's blocking limit.
	ErrNotReady = errors.New("delivery: not ready in time")
	// ErrMethod is returned for a method other than GET, HEAD and OPTIONS.
	ErrMethod = errors.New("delivery: method not allowed")
	// ErrRange is returned for a Range that selects no byte of a complete object.
	ErrRange = errors.New("delivery: range not satisfiable")
	// ErrClientGone is returned when the client hangs up while its request waits.
	ErrClientGone = errors.New("delivery: client went away")
	// ErrClosed is returned to requests still waiting when the handler closes.
	ErrClosed = errors.New("delivery: handler closed")
	// ErrStalled aborts a streamed object whose bytes stop coming before it
	// is complete; the connection is cut so the client never takes the
	// truncated object for a whole one.
	ErrStalled = errors.New("delivery: object stalled before completion")
	// ErrRangePastEnd aborts a streamed range of a segment that completed
	// before the range's last byte.
	ErrRangePastEnd = errors.New("delivery: segment ended before the range")
)

// statusClientGone is not sent (the client is gone) but names the outcome in
// logs and counters, as nginx does.
const statusClientGone = 499

// statusOf maps an error to the HTTP status that answers it. It is the only
// place that does.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadStreamName),
		errors.Is(err, hls.ErrBadRequest),
		errors.Is(err, hls.ErrTooFar):
		return fasthttp.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, window.ErrBadName):
		return fasthttp.StatusNotFound
	case errors.Is(err, ErrGone):
		return fasthttp.StatusGone
	case errors.Is(err, ErrMethod):
		return fasthttp.StatusMethodNotAllowed
	case errors.Is(err, ErrRange):
		return fasthttp.StatusRequestedRangeNotSatisfiable
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrClosed):
		return fasthttp.StatusServiceUnavailable
	case errors.Is(err, ErrClientGone):
		return statusClientGone
	}
	return fasthttp.StatusInternalServerError
}
