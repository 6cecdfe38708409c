package ingest

import (
	"errors"
	"net/http"
	"regexp"
)

// Sentinel errors. Every error a publisher can meet wraps exactly one of
// them, so the HTTP status, the RTMP status code and the metrics label all
// derive from the same value.
var (
	// ErrBadName is returned for a stream name outside ^[A-Za-z0-9_-]{1,64}$
	// or a request path that names no stream.
	ErrBadName = errors.New("bad stream name")
	// ErrBadKey is returned when the stream key is missing or wrong.
	ErrBadKey = errors.New("bad stream key")
	// ErrBusy is returned when the stream already has a publisher.
	ErrBusy = errors.New("stream already publishing")
	// ErrTooManyPublishers is returned when the server is at MaxPublishers.
	ErrTooManyPublishers = errors.New("too many publishers")
	// ErrUnsupportedCodec is returned for media other than H.264 and AAC.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrUnsupportedFormat is returned for a push body that is neither
	// MPEG-TS nor fragmented MP4, or an RTMP client that wants to play.
	ErrUnsupportedFormat = errors.New("unsupported format")
	// ErrBadMedia is returned for malformed container or codec data.
	ErrBadMedia = errors.New("bad media")
	// ErrTooLarge is returned when a push body or one of its boxes exceeds
	// its size bound.
	ErrTooLarge = errors.New("too large")
	// ErrTimeout is returned when a publisher sends nothing for ReadTimeout.
	ErrTimeout = errors.New("publisher stalled")
	// ErrMethod is returned for an HTTP method the push endpoint refuses.
	ErrMethod = errors.New("method not allowed")
	// ErrShutdown is returned to publishers cut off by a server shutdown.
	ErrShutdown = errors.New("server shutting down")
)

// errorClasses gives, for each sentinel, its metrics label "reason", the
// HTTP status of a refused push and the onStatus code of a refused RTMP
// publish. An error is classified by the first sentinel it wraps; the last
// entry catches everything else.
var errorClasses = [...]struct {
	err    error
	reason string
	status int
	rtmp   string
}{
	{ErrBadName, "bad_name", http.StatusBadRequest, "NetStream.Publish.BadName"},
	{ErrBadKey, "bad_key", http.StatusForbidden, "NetStream.Publish.Unauthorized"},
	{ErrBusy, "busy", http.StatusConflict, "NetStream.Publish.BadName"},
	{ErrTooManyPublishers, "too_many_publishers", http.StatusServiceUnavailable, rtmpRejected},
	{ErrUnsupportedCodec, "unsupported_codec", http.StatusUnsupportedMediaType, rtmpRejected},
	{ErrUnsupportedFormat, "unsupported_format", http.StatusUnsupportedMediaType, "NetStream.Play.Failed"},
	{ErrBadMedia, "bad_media", http.StatusBadRequest, rtmpRejected},
	{ErrTooLarge, "too_large", http.StatusRequestEntityTooLarge, rtmpRejected},
	{ErrTimeout, "timeout", http.StatusRequestTimeout, rtmpRejected},
	{ErrMethod, "method", http.StatusMethodNotAllowed, rtmpRejected},
	{ErrShutdown, "shutdown", http.StatusServiceUnavailable, rtmpRejected},
	{nil, "other", http.StatusInternalServerError, rtmpRejected},
}

const rtmpRejected = "NetStream.Publish.Rejected"

// classify returns the index in errorClasses of err's class.
func classify(err error) int {
	for i, c := range errorClasses[:len(errorClasses)-1] {
		if errors.Is(err, c.err) {
			return i
		}
	}
	return len(errorClasses) - 1
}

// classified reports whether err already wraps one of the sentinels, so a
// wrapper adding context must not re-classify it.
func classified(err error) bool {
	return classify(err) != len(errorClasses)-1
}

// reason returns err's metrics label.
func reason(err error) string { return errorClasses[classify(err)].reason }

// httpStatus maps an error to the status the push endpoint answers with. It
// is the only place that decision is made.
func httpStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return errorClasses[classify(err)].status
}

// rtmpStatusCode maps an error to the onStatus code a refused RTMP
// publisher gets; the description carries the error text.
func rtmpStatusCode(err error) string {
	return errorClasses[classify(err)].rtmp
}

// keyParam matches a key query parameter inside error text.
var keyParam = regexp.MustCompile(`(?i)(key=)[^&\s"'\]}]*`)

// redact removes stream keys from an error's text before it is logged or
// sent: errors of the libraries below may quote a whole URL or command.
func redact(err error) string {
	return keyParam.ReplaceAllString(err.Error(), "${1}REDACTED")
}
