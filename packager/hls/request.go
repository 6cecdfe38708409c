package hls

import (
	"fmt"
	"strconv"
)

// Request is a media playlist request's delivery directives and options.
type Request struct {
	MSN, Part int64 // _HLS_msn and _HLS_part; -1 when absent
	Skip      bool  // _HLS_skip=YES or v2: a delta update
	ByteRange bool  // lt_byterange=1: parts as byte ranges of segment URIs
	// Query is appended verbatim, already URL-encoded, to every URI a
	// playlist carries (for example "token=abc"); "" for none.
	Query string
}

// ParseRequest parses the raw query values of a playlist request; an absent
// parameter is "". Errors wrap ErrBadRequest.
func ParseRequest(msn, part, skip, byterange string) (Request, error) {
	r := Request{MSN: -1, Part: -1}
	var err error
	if msn != "" {
		if r.MSN, err = parseDirective("_HLS_msn", msn); err != nil {
			return Request{}, err
		}
	}
	if part != "" {
		if msn == "" {
			return Request{}, fmt.Errorf("%w: _HLS_part without _HLS_msn", ErrBadRequest)
		}
		if r.Part, err = parseDirective("_HLS_part", part); err != nil {
			return Request{}, err
		}
	}
	switch skip {
	case "":
	case "YES", "v2":
		r.Skip = true
	default:
		return Request{}, fmt.Errorf("%w: _HLS_skip=%q", ErrBadRequest, skip)
	}
	switch byterange {
	case "", "0":
	case "1":
		r.ByteRange = true
	default:
		return Request{}, fmt.Errorf("%w: lt_byterange=%q", ErrBadRequest, byterange)
	}
	return r, nil
}

// maxDirective bounds _HLS_msn and _HLS_part so that arithmetic on them
// (msn+2, part+1) never overflows.
const maxDirective = 1 << 53

func parseDirective(name, s string) (int64, error) {
	if len(s) > 16 {
		return 0, fmt.Errorf("%w: %s too long", ErrBadRequest, name)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %s=%q is not a decimal number", ErrBadRequest, name, s)
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > maxDirective {
		return 0, fmt.Errorf("%w: %s=%q out of range", ErrBadRequest, name, s)
	}
	return v, nil
}
