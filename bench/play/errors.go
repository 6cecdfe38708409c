package play

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/livetree/livetree/bench/arrival"
)

var (
	// ErrBadMedia reports a media body that is not a sequence of CMAF boxes.
	ErrBadMedia = errors.New("play: malformed media")
	// ErrBadPlaylist reports a playlist or manifest the client cannot use.
	ErrBadPlaylist = errors.New("play: unusable playlist")
	// ErrTruncated reports a body that ended before its end: a chunked
	// stream cut without its last chunk, fewer bytes than Content-Length,
	// or media that stops inside a box.
	ErrTruncated = errors.New("play: truncated object")
	// ErrTooManyRedirects reports a redirect chain longer than the limit.
	ErrTooManyRedirects = errors.New("play: too many redirects")
	// ErrEnded reports a stream whose playlist says it ended.
	ErrEnded = errors.New("play: stream ended")
	// ErrConfig reports an unusable Config.
	ErrConfig = errors.New("play: bad config")
)

// StatusError is an HTTP answer other than the one expected.
type StatusError struct {
	Code int
	URL  string
}

func (e *StatusError) Error() string {
	return "play: HTTP " + strconv.Itoa(e.Code) + " for " + e.URL
}

// Error classes, as counted and reported.
const (
	classTimeout   = "timeout"
	classTruncated = "truncated"
	classConnect   = "connect"
	classReset     = "connection reset"
	classMedia     = "bad media"
	classResponse  = "bad HTTP response"
	classPlaylist  = "bad playlist"
	classRedirects = "redirect loop"
	classEnded     = "stream ended"
	classOther     = "other"
)

// classOf names the class of a request's error: "HTTP 404" and the like
// for statuses, else one of the class constants.
func classOf(err error) string {
	var se *StatusError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &se):
		return "HTTP " + strconv.Itoa(se.Code)
	case errors.Is(err, ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return classTruncated
	case errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return classTimeout
	case errors.As(err, &oe) && oe.Op == "dial":
		return classConnect
	case errors.Is(err, io.EOF), errors.As(err, &oe):
		return classReset
	case errors.Is(err, arrival.ErrResponse):
		return classResponse
	case errors.Is(err, ErrBadMedia):
		return classMedia
	case errors.Is(err, ErrBadPlaylist):
		return classPlaylist
	case errors.Is(err, ErrTooManyRedirects):
		return classRedirects
	case errors.Is(err, ErrEnded):
		return classEnded
	}
	return classOther
}
