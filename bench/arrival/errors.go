package arrival

import "errors"

var (
	// ErrControl is returned for control messages that do not parse.
	ErrControl = errors.New("arrival: malformed control message")
	// ErrNoStamp is returned when the kernel sent no receive timestamp
	// with data, so the arrival of that data is unknown.
	ErrNoStamp = errors.New("arrival: no receive timestamp")
	// ErrResponse is returned for bytes that are not an HTTP/1.1 response
	// this package can frame.
	ErrResponse = errors.New("arrival: malformed HTTP response")
	// ErrClosed is returned by a Set, or for one of its connections, once
	// closed.
	ErrClosed = errors.New("arrival: closed")
	// ErrShortWrite is returned when a connection's send buffer could not
	// take a whole request at once.
	ErrShortWrite = errors.New("arrival: short write")
)
