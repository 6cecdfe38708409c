package ingest

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxNameLen is the longest stream name accepted.
const MaxNameLen = 64

// rtmpApp is the RTMP application publishers connect to.
const rtmpApp = "live"

// pushPrefix is the path prefix of the HTTP push endpoint.
const pushPrefix = "/ingest/"

// ValidName reports whether name matches ^[A-Za-z0-9_-]{1,64}$. Names go
// into playlist URLs and log lines, so nothing else is let through.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// checkName wraps ErrBadName with a description of name that is safe to log:
// the name is quoted only when valid, otherwise just its length is given.
func checkName(name string) error {
	if ValidName(name) {
		return nil
	}
	return fmt.Errorf("%w: must match [A-Za-z0-9_-]{1,%d} (got %d bytes)", ErrBadName, MaxNameLen, len(name))
}

// parsePushPath extracts the stream name from the raw, undecoded path of a
// push request, "/ingest/{stream}". The raw path is used on purpose: a
// normalised one would have resolved "a/../b" into a valid name.
func parsePushPath(rawPath string) (string, error) {
	name, ok := strings.CutPrefix(rawPath, pushPrefix)
	if !ok {
		return "", fmt.Errorf("%w: path must be %s{stream}", ErrBadName, pushPrefix)
	}
	return name, checkName(name)
}

// parseRTMPURL extracts the stream name and key from the URL a publisher
// asked for: rtmp://host/live/{stream}?key={key}. gortmplib assembles it from
// the connect command's tcUrl and the publish command's name, so OBS (server
// rtmp://host/live, stream key "{stream}?key={key}") and ffmpeg (the whole
// URL) both end up here.
func parseRTMPURL(u *url.URL) (name, key string, err error) {
	rest, ok := strings.CutPrefix(u.Path, "/"+rtmpApp+"/")
	if !ok {
		return "", "", fmt.Errorf("%w: publish to rtmp://host/%s/{stream}", ErrBadName, rtmpApp)
	}
	if err := checkName(rest); err != nil {
		return "", "", err
	}
	return rest, u.Query().Get("key"), nil
}
