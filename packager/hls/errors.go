package hls

import "errors"

var (
	// ErrBadRequest is returned by ParseRequest for delivery directives a
	// client must not send: _HLS_part without _HLS_msn, or a value that is
	// not a non-negative decimal number. It maps to 400 Bad Request.
	ErrBadRequest = errors.New("hls: bad delivery directive")
	// ErrTooFar is returned by Check when _HLS_msn is more than two past the
	// playlist's last segment. It maps to 400 Bad Request at once.
	ErrTooFar = errors.New("hls: _HLS_msn too far in the future")
)
