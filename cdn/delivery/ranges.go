package delivery

import "bytes"

// byteRange is one range of a Range header (RFC 9110 §14.1.2), before it
// is resolved against an object's length.
type byteRange struct {
	first int64 // first byte; -1 for a suffix range
	last  int64 // last byte, inclusive; -1 when open-ended
	// suffix is the length of a suffix range ("bytes=-N"), when first is -1.
	suffix int64
}

// maxRangeDigits keeps range numbers far from overflowing an int64.
const maxRangeDigits = 15

// parseRange parses a Range header holding a single byte range. It reports
// false for a header to ignore: absent, not bytes, several ranges, or
// malformed (RFC 9110 lets a server ignore any of those and send the whole
// object).
func parseRange(h []byte) (byteRange, bool) {
	spec, ok := bytes.CutPrefix(h, []byte("bytes="))
	if !ok {
		return byteRange{}, false
	}
	spec = bytes.TrimSpace(spec)
	a, b, ok := bytes.Cut(spec, []byte{'-'})
	if !ok || bytes.IndexByte(b, ',') >= 0 {
		return byteRange{}, false
	}
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) == 0 {
		n, ok := parseDigits(b)
		if !ok {
			return byteRange{}, false
		}
		return byteRange{first: -1, last: -1, suffix: n}, true
	}
	first, ok := parseDigits(a)
	if !ok {
		return byteRange{}, false
	}
	if len(b) == 0 {
		return byteRange{first: first, last: -1}, true
	}
	last, ok := parseDigits(b)
	if !ok || last < first {
		return byteRange{}, false
	}
	return byteRange{first: first, last: last}, true
}

func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxRangeDigits {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// resolve returns the half-open interval [from, to) the range selects of an
// object of size bytes, and false when it selects nothing (416).
func (r byteRange) resolve(size int) (from, to int, ok bool) {
	n := int64(size)
	if r.first < 0 {
		if r.suffix == 0 || n == 0 {
			return 0, 0, false
		}
		return int(max(n-r.suffix, 0)), size, true
	}
	if r.first >= n {
		return 0, 0, false
	}
	end := n
	if r.last >= 0 && r.last+1 < n {
		end = r.last + 1
	}
	return int(r.first), int(end), true
}
