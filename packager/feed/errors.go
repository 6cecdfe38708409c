package feed

import "errors"

var (
	// ErrBadHeader is returned when a feed does not start with a valid header.
	ErrBadHeader = errors.New("feed: bad header")
	// ErrBadFrame wraps every reason a frame is rejected: an unknown type, a
	// length over the limit or a payload that does not decode.
	ErrBadFrame = errors.New("feed: bad frame")
	// ErrTruncated is returned when the feed ends inside a frame or before
	// the End frame.
	ErrTruncated = errors.New("feed: truncated")
	// ErrGap is returned when a chunk does not continue what the local window
	// holds, for example after a parent whose window starts later than the
	// child's ends. The child must start over with an empty window.
	ErrGap = errors.New("feed: gap in the feed")
)
