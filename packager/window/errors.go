package window

import "errors"

var (
	// ErrOutOfOrder is returned when a chunk does not continue its track:
	// its segment or part number goes backwards or skips.
	ErrOutOfOrder = errors.New("window: chunk out of order")
	// ErrNoInit is returned when a chunk arrives before its track's init segment.
	ErrNoInit = errors.New("window: chunk before init segment")
	// ErrEnded is returned when writing to a stream that has ended.
	ErrEnded = errors.New("window: stream ended")
	// ErrUnknownTrack is returned for a track ID the stream does not have.
	ErrUnknownTrack = errors.New("window: unknown track")
	// ErrBadName is returned by ParseObjectName for a name that does not
	// name an object in the canonical form.
	ErrBadName = errors.New("window: bad object name")
	// ErrGone is returned for bytes of a segment that has left the window.
	ErrGone = errors.New("window: segment left the window")
)
