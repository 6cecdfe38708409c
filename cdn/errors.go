package cdn

import (
	"context"
	"errors"
	"net/http"
)

var (
	// ErrConfig wraps every reason a Config is rejected.
	ErrConfig = errors.New("cdn: bad config")
	// ErrNotFound is returned when no parent has the stream.
	ErrNotFound = errors.New("cdn: stream not found")
	// ErrNotReady is returned when a stream's first segments did not come
	// within the ready timeout.
	ErrNotReady = errors.New("cdn: stream not ready in time")
	// ErrDraining is returned for new viewers and children while the edge
	// drains.
	ErrDraining = errors.New("cdn: draining")
	// ErrBadRequest is returned for a request the edge cannot parse.
	ErrBadRequest = errors.New("cdn: bad request")
	// ErrBadStreamName is returned for a stream name outside
	// ^[A-Za-z0-9_-]{1,64}$.
	ErrBadStreamName = errors.New("cdn: bad stream name")
	// ErrNoParent is returned when neither the picker nor the fallbacks
	// name a parent.
	ErrNoParent = errors.New("cdn: no parent")
	// ErrUnauthorized is returned for an admin request without the admin
	// token, and for a feed request without the fleet token.
	ErrUnauthorized = errors.New("cdn: unauthorized")
	// ErrForbidden is returned for a viewer request without a valid
	// playback token, and for a feed request with a wrong fleet token. It
	// wraps the reason (ErrTokenMissing, a token.Verify error,
	// ErrWrongFleetToken), which the answer's body names.
	ErrForbidden = errors.New("cdn: forbidden")
	// ErrTokenMissing is a viewer request without a token query parameter.
	ErrTokenMissing = errors.New("cdn: playback token missing")
	// ErrWrongFleetToken is a feed request with a bearer token other than
	// the fleet token.
	ErrWrongFleetToken = errors.New("cdn: wrong fleet token")
	// ErrClosed is returned once the edge is shutting down.
	ErrClosed = errors.New("cdn: closed")
)

// errSwitch ends a feed attempt that usher's reassignment of the stream
// made moot; it never reaches a client.
var errSwitch = errors.New("cdn: switching parent")

// ParentError is a parent that answered a feed request with a status
// other than 200.
type ParentError struct {
	Parent string
	Status int
}

func (e *ParentError) Error() string {
	return "cdn: parent " + e.Parent + " answered " + http.StatusText(e.Status)
}

// Unwrap makes a 404 match ErrNotFound.
func (e *ParentError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

// StallError is a parent that sent nothing, not even a heartbeat, for
// longer than the stall timeout.
type StallError struct{ Parent string }

func (e *StallError) Error() string { return "cdn: parent " + e.Parent + " stalled" }

// statusOf maps an error to the HTTP status that answers it; it is the
// only place the edge does so (the delivery handler maps its own).
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadStreamName), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrDraining), errors.Is(err, ErrClosed), errors.Is(err, ErrNoParent),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
