package usher

import (
	"errors"

	"github.com/valyala/fasthttp"
)

var (
	// ErrUnknownStream reports a stream no origin has registered.
	ErrUnknownStream = errors.New("usher: unknown stream")
	// ErrBadRequest reports a malformed request.
	ErrBadRequest = errors.New("usher: bad request")
	// ErrNoCapacity reports that no edge has room and there is no overflow
	// CDN to send the viewer to.
	ErrNoCapacity = errors.New("usher: no edge has room")
	// ErrUnauthenticated reports a request without a bearer token.
	ErrUnauthenticated = errors.New("usher: missing bearer token")
	// ErrForbidden reports a request with a wrong bearer token.
	ErrForbidden = errors.New("usher: wrong bearer token")
	// ErrRedis reports that Redis could not be read or written.
	ErrRedis = errors.New("usher: redis unavailable")
	// ErrNotFound reports an unknown path or object.
	ErrNotFound = errors.New("usher: not found")
	// ErrMethod reports a method the path does not take.
	ErrMethod = errors.New("usher: method not allowed")
	// ErrInvalidConfig reports a Config that Validate rejects.
	ErrInvalidConfig = errors.New("usher: invalid config")
)

// statusOf maps an error to the HTTP status every handler answers with.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownStream), errors.Is(err, ErrNotFound):
		return fasthttp.StatusNotFound
	case errors.Is(err, ErrBadRequest):
		return fasthttp.StatusBadRequest
	case errors.Is(err, ErrUnauthenticated):
		return fasthttp.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return fasthttp.StatusForbidden
	case errors.Is(err, ErrMethod):
		return fasthttp.StatusMethodNotAllowed
	case errors.Is(err, ErrNoCapacity), errors.Is(err, ErrRedis):
		return fasthttp.StatusServiceUnavailable
	default:
		return fasthttp.StatusInternalServerError
	}
}

// fail answers ctx with err's status and a short plain-text body.
func fail(ctx *fasthttp.RequestCtx, err error) {
	st := statusOf(err)
	ctx.Response.Reset()
	ctx.SetStatusCode(st)
	ctx.SetContentType("text/plain; charset=utf-8")
	switch st {
	case fasthttp.StatusUnauthorized:
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="livetree"`)
	case fasthttp.StatusServiceUnavailable:
		ctx.Response.Header.Set("Retry-After", "2")
	}
	ctx.SetBodyString(err.Error() + "\n")
}
