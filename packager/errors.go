package packager

import "errors"

var (
	// ErrBadFrame wraps every reason a frame is rejected. The session goes on.
	ErrBadFrame = errors.New("packager: bad frame")
	// ErrBadConfig is returned for codec configuration the packager cannot use.
	ErrBadConfig = errors.New("packager: bad codec configuration")
	// ErrClosed is returned when writing to a closed session or ended stream.
	ErrClosed = errors.New("packager: closed")
	// ErrPublishing is returned by Publish while another session is active.
	ErrPublishing = errors.New("packager: stream already has a publisher")
)
