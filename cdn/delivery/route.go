package delivery

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/livetree/livetree/packager/window"
)

// routeKind tells what a request path names.
type routeKind int

const (
	routeTime routeKind = iota + 1
	routeMultivariant
	routeMedia // a media playlist; route.mediaKind says which
	routeMPD
	routeObject // init, segment or part; route.obj names it
)

// route is a parsed request path.
type route struct {
	kind      routeKind
	stream    string
	mediaKind string // "video" or "audio", for routeMedia
	obj       window.ObjectName
}

const livePrefix = "/live/"

// maxStreamName bounds a stream name.
const maxStreamName = 64

// parseRoute parses a request path, already decoded and normalised by
// fasthttp: /live/{stream}/{file}, or timePath. Errors wrap ErrBadStreamName
// or ErrNotFound.
//
// The route's stream and object epoch are views of path, not copies, so
// that routing a request allocates nothing: they are valid while path is
// (a request's own buffer), and whatever keeps them longer clones them.
func parseRoute(path []byte, timePath string) (route, error) {
	if string(path) == timePath {
		return route{kind: routeTime}, nil
	}
	rest, ok := bytes.CutPrefix(path, []byte(livePrefix))
	if !ok {
		return route{}, fmt.Errorf("%w: no route for %q", ErrNotFound, truncate(path))
	}
	name, file, ok := bytes.Cut(rest, []byte{'/'})
	if !validStreamName(name) {
		return route{}, fmt.Errorf("%w: %q", ErrBadStreamName, truncate(name))
	}
	if !ok || len(file) == 0 || bytes.IndexByte(file, '/') >= 0 {
		return route{}, fmt.Errorf("%w: no route for %q", ErrNotFound, truncate(path))
	}
	r := route{stream: view(name)}
	switch string(file) {
	case "index.m3u8":
		r.kind = routeMultivariant
	case "video.m3u8":
		r.kind, r.mediaKind = routeMedia, "video"
	case "audio.m3u8":
		r.kind, r.mediaKind = routeMedia, "audio"
	case "manifest.mpd":
		r.kind = routeMPD
	default:
		obj, err := window.ParseObjectName(view(file))
		if err != nil {
			return route{}, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		r.kind, r.obj = routeObject, obj
	}
	return r, nil
}

// validStreamName reports whether name matches ^[A-Za-z0-9_-]{1,64}$.
func validStreamName(name []byte) bool {
	if len(name) == 0 || len(name) > maxStreamName {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// truncate bounds what a log line quotes of a client's bytes.
func truncate(b []byte) []byte {
	if len(b) > 96 {
		return b[:96]
	}
	return b
}

// view returns b as a string without copying it; b must not change while
// the string is in use.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
