package delivery

import "bytes"

// reqHead is what the fast path reads of a request: a GET or HEAD of a
// plain path, and whether the connection stays open after it.
type reqHead struct {
	isHead bool
	path   []byte // the target before '?'
	query  []byte // the target after '?'
	close  bool   // Connection: close
	size   int    // bytes of the request, blank line included
}

// headVerdict says what parseHead made of a buffer.
type headVerdict int

const (
	headPartial headVerdict = iota // no blank line yet
	headFast                       // a request the fast path may answer
	headPass                       // anything else: fasthttp answers it, errors included
)

var (
	crlf      = []byte("\r\n")
	http11    = []byte(" HTTP/1.1")
	headerSep = []byte(": ")
)

// parseHead reads the request at the start of b. It is deliberately
// narrow: an HTTP/1.1 GET or HEAD of an origin-form target made of
// unreserved characters, with headers that change nothing about a
// complete object's answer, and one Host. Everything else, malformed or merely unusual,
// is headPass, so that fasthttp's full parser answers it and the two
// never disagree about a request.
func parseHead(b []byte) (reqHead, headVerdict) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if bytes.IndexByte(b, '\n') >= 0 && !bytes.Contains(b, crlf) {
			return reqHead{}, headPass // bare LF line ends
		}
		return reqHead{}, headPartial
	}
	var h reqHead
	h.size = end + 4
	line, rest, _ := bytes.Cut(b[:end+2], crlf)
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		line = line[4:]
	case bytes.HasPrefix(line, []byte("HEAD ")):
		line, h.isHead = line[5:], true
	default:
		return reqHead{}, headPass
	}
	target, ok := bytes.CutSuffix(line, http11)
	if !ok || len(target) == 0 || target[0] != '/' {
		return reqHead{}, headPass
	}
	h.path, h.query, _ = bytes.Cut(target, []byte{'?'})
	if !plainPath(h.path) || !plainQuery(h.query) {
		return reqHead{}, headPass
	}
	host := false
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, crlf)
		name, value, ok := bytes.Cut(l, headerSep)
		if !ok || !token(name) || !printable(value) {
			// No ": ", a folded line, or a space before the colon.
			return reqHead{}, headPass
		}
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			if host || !plainHost(value) {
				return reqHead{}, headPass
			}
			host = true
		case bytes.EqualFold(name, []byte("Connection")):
			if !bytes.EqualFold(value, []byte("keep-alive")) {
				if !bytes.EqualFold(value, []byte("close")) {
					return reqHead{}, headPass
				}
				h.close = true
			}
		case bytes.EqualFold(name, []byte("Range")),
			bytes.EqualFold(name, []byte("Content-Length")),
			bytes.EqualFold(name, []byte("Transfer-Encoding")),
			bytes.EqualFold(name, []byte("Expect")),
			bytes.EqualFold(name, []byte("Upgrade")):
			return reqHead{}, headPass
		}
	}
	if !host {
		return reqHead{}, headPass // HTTP/1.1 requires it
	}
	return h, headFast
}

// plainPath reports whether p is '/'-separated unreserved characters with
// no empty, "." or ".." segment, so it needs no decoding or normalising.
func plainPath(p []byte) bool {
	for _, c := range p {
		if !unreserved(c) && c != '/' {
			return false
		}
	}
	return !bytes.Contains(p, []byte("//")) && !bytes.Contains(p, []byte("/."))
}

// plainQuery reports whether q is unreserved characters, '=' and '&'.
func plainQuery(q []byte) bool {
	for _, c := range q {
		if !unreserved(c) && c != '=' && c != '&' {
			return false
		}
	}
	return true
}

// plainHost reports whether h is a name or IPv4 address of unreserved
// characters, or a bracketed IPv6 address, with an optional port: a Host
// no parser reads as more than that.
func plainHost(h []byte) bool {
	if rest, ok := bytes.CutPrefix(h, []byte{'['}); ok {
		addr, port, ok := bytes.Cut(rest, []byte{']'})
		if !ok || len(addr) == 0 || bytes.IndexFunc(addr, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == ':' || r == '.')
		}) >= 0 {
			return false
		}
		return len(port) == 0 || port[0] == ':' && digits(port[1:])
	}
	name, port, hasPort := bytes.Cut(h, []byte{':'})
	for _, c := range name {
		if !unreserved(c) {
			return false
		}
	}
	return len(name) > 0 && (!hasPort || digits(port))
}

// printable reports whether a header value is visible ASCII, spaces and
// tabs.
func printable(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// token reports whether b is a non-empty RFC 9110 token, as a header
// name must be.
func token(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0 {
			return false
		}
	}
	return true
}
