package fleet

import (
	"errors"
	"fmt"
)

// ErrBadKey reports a stream key that does not match the one in Redis, or a
// stream that has no key there. The two are indistinguishable on purpose.
var ErrBadKey = errors.New("fleet: bad stream key")

// ErrUnauthorized reports that usher refused the fleet token.
var ErrUnauthorized = errors.New("fleet: usher refused the fleet token")

// ErrUnknownStream reports that usher knows no origin for the stream.
var ErrUnknownStream = errors.New("fleet: unknown stream")

// ErrNoUsher reports a client configured without any usher URL.
var ErrNoUsher = errors.New("fleet: no usher URL")

// StatusError reports an unexpected HTTP status from usher.
type StatusError struct {
	URL    string
	Status int
}

// Error names the URL and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("fleet: %s: HTTP %d", e.URL, e.Status)
}
