package arrival

import (
	"bytes"
	"fmt"
	"strconv"
)

// Limits on what Response accepts.
const (
	maxHeader = 16 << 10 // status line and header fields
	maxLine   = 1 << 10  // a chunk-size line or a trailer field
)

// phase is where a Response is in its bytes.
type phase uint8

const (
	phaseHeader   phase = iota // before the blank line ending the header
	phaseBody                  // in a body of known length
	phaseSize                  // in a chunk-size line
	phaseChunk                 // in a chunk's data
	phaseChunkEnd              // in the CRLF after a chunk's data
	phaseTrailer               // in the trailer, after the last chunk
	phaseDone                  // the response is complete
)

// Response frames one HTTP/1.1 response as its bytes arrive in reads of
// any size, and records when its first and last bytes came. It knows
// Content-Length and chunked bodies, keeps the status and the header, and
// hands the body, unframed, to Body. The zero value is ready for a
// response; Reset makes it ready for the next.
type Response struct {
	// Status is the status code, once the header is complete.
	Status int
	// Close reports that the header asked to close the connection after
	// the response.
	Close bool
	// BodyLen counts the body bytes so far, chunk framing excluded.
	BodyLen int64
	// First is the stamp of the read holding the response's first byte,
	// Last of the one holding its last byte.
	First, Last Stamp
	// Body, when set, takes the body's bytes as they are framed, chunk
	// framing removed. The bytes are valid only during the call; an error
	// stops the framing and is returned by Feed.
	Body func(p []byte) error

	phase   phase
	started bool
	buf     []byte // the header, a chunk-size line or a trailer line so far
	head    []byte // the complete header, without its blank line
	remain  int64  // bytes left in the body or the chunk
	chunked bool
}

// Reset readies r for the next response, keeping its buffers and Body.
func (r *Response) Reset() {
	*r = Response{buf: r.buf[:0], head: r.head[:0], Body: r.Body}
}

// Field returns the value of the header field name, or nil; it is valid
// until the next Reset.
func (r *Response) Field(name string) []byte {
	_, fields, _ := bytes.Cut(r.head, []byte("\r\n"))
	for len(fields) > 0 {
		var f []byte
		f, fields, _ = bytes.Cut(fields, []byte("\r\n"))
		if k, v, ok := bytes.Cut(f, []byte(":")); ok && bytes.EqualFold(k, []byte(name)) {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}

// Done reports whether the response is complete.
func (r *Response) Done() bool { return r.phase == phaseDone }

// Feed consumes the response's bytes from data, which arrived as at tells.
// Once the response is complete it reports done and returns the bytes that
// follow it, which belong to the next response.
func (r *Response) Feed(data []byte, at Stamp) (done bool, rest []byte, err error) {
	if len(data) > 0 && !r.started {
		r.started, r.First = true, at
	}
	for len(data) > 0 && r.phase != phaseDone {
		switch r.phase {
		case phaseHeader:
			data, err = r.header(data)
		case phaseBody, phaseChunk:
			k := int(min(r.remain, int64(len(data))))
			r.remain -= int64(k)
			r.BodyLen += int64(k)
			if r.Body != nil {
				if err := r.Body(data[:k]); err != nil {
					return false, nil, err
				}
			}
			data = data[k:]
			if r.remain == 0 {
				if r.phase == phaseBody {
					r.phase = phaseDone
				} else {
					r.phase = phaseChunkEnd
				}
			}
		case phaseChunkEnd:
			data, err = r.chunkEnd(data)
		case phaseSize, phaseTrailer:
			var line []byte
			var ok bool
			line, data, ok, err = r.line(data)
			if ok && err == nil {
				if r.phase == phaseSize {
					err = r.size(line)
				} else if len(line) == 0 {
					r.phase = phaseDone
				}
			}
		}
		if err != nil {
			return false, nil, err
		}
	}
	if r.phase == phaseDone {
		r.Last = at
		return true, data, nil
	}
	return false, nil, nil
}

// header collects the header and, at its end, reads how the body is
// framed. A header that comes whole in one read is not copied but once,
// and no more than a header can hold is ever kept, whatever the read.
func (r *Response) header(data []byte) ([]byte, error) {
	old := len(r.buf)
	buf, from := data[:min(len(data), maxHeader+4)], 0
	if old > 0 {
		// The end of the header may straddle two reads: look from a
		// little before what is already there.
		r.buf = append(r.buf, data[:min(len(data), maxHeader+4-old)]...)
		buf, from = r.buf, max(0, old-3)
	}
	i := bytes.Index(buf[from:], []byte("\r\n\r\n"))
	if i < 0 {
		if len(buf) > maxHeader {
			return nil, fmt.Errorf("%w: header over %d bytes", ErrResponse, maxHeader)
		}
		if old == 0 {
			r.buf = append(r.buf, buf...)
		}
		return nil, nil
	}
	end := from + i + 4
	if end > maxHeader {
		return nil, fmt.Errorf("%w: header over %d bytes", ErrResponse, maxHeader)
	}
	r.head = append(r.head[:0], buf[:end-4]...)
	r.buf = r.buf[:0]
	if err := r.parseHeader(r.head); err != nil {
		return nil, err
	}
	return data[end-old:], nil
}

// parseHeader reads the status line and the framing fields of h, the
// header without its final blank line.
func (r *Response) parseHeader(h []byte) error {
	line, fields, _ := bytes.Cut(h, []byte("\r\n"))
	// HTTP/1.x NNN reason
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return fmt.Errorf("%w: status line %q", ErrResponse, truncate(line))
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 {
		return fmt.Errorf("%w: status line %q", ErrResponse, truncate(line))
	}
	r.Status = status
	length := int64(-1)
	for len(fields) > 0 {
		var f []byte
		f, fields, _ = bytes.Cut(fields, []byte("\r\n"))
		name, value, ok := bytes.Cut(f, []byte(":"))
		if !ok {
			return fmt.Errorf("%w: field %q", ErrResponse, truncate(f))
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (length >= 0 && n != length) {
				return fmt.Errorf("%w: Content-Length %q", ErrResponse, truncate(value))
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return fmt.Errorf("%w: Transfer-Encoding %q", ErrResponse, truncate(value))
			}
			r.chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			r.Close = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		// No body; an interim 1xx response is framed as a whole response.
		r.phase = phaseDone
	case r.chunked:
		r.phase = phaseSize
	case length >= 0:
		r.remain, r.phase = length, phaseBody
		if length == 0 {
			r.phase = phaseDone
		}
	default:
		return fmt.Errorf("%w: body without a length", ErrResponse)
	}
	return nil
}

// line collects one CRLF-terminated line. It returns the line without its
// CRLF and ok once whole; the line is valid until the next call.
func (r *Response) line(data []byte) (line, rest []byte, ok bool, err error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		r.buf = append(r.buf, data...)
		if len(r.buf) > maxLine {
			return nil, nil, false, fmt.Errorf("%w: line over %d bytes", ErrResponse, maxLine)
		}
		return nil, nil, false, nil
	}
	r.buf = append(r.buf, data[:i+1]...)
	rest = data[i+1:]
	if len(r.buf) > maxLine {
		return nil, nil, false, fmt.Errorf("%w: line over %d bytes", ErrResponse, maxLine)
	}
	line = r.buf
	r.buf = r.buf[:0]
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, nil, false, fmt.Errorf("%w: line without CRLF", ErrResponse)
	}
	return line[:len(line)-2], rest, true, nil
}

// size reads a chunk-size line.
func (r *Response) size(line []byte) error {
	hex, _, _ := bytes.Cut(line, []byte(";"))
	hex = bytes.TrimRight(hex, " \t")
	n, err := strconv.ParseInt(string(hex), 16, 64)
	if err != nil || n < 0 || len(hex) > 15 {
		return fmt.Errorf("%w: chunk size %q", ErrResponse, truncate(line))
	}
	if n == 0 {
		r.phase = phaseTrailer
		return nil
	}
	r.remain, r.phase = n, phaseChunk
	return nil
}

// chunkEnd consumes the CRLF that ends a chunk's data.
func (r *Response) chunkEnd(data []byte) ([]byte, error) {
	for len(data) > 0 {
		want := byte('\r')
		if len(r.buf) == 1 {
			want = '\n'
		}
		if data[0] != want {
			return nil, fmt.Errorf("%w: chunk not ended by CRLF", ErrResponse)
		}
		r.buf = append(r.buf, data[0])
		data = data[1:]
		if len(r.buf) == 2 {
			r.buf = r.buf[:0]
			r.phase = phaseSize
			break
		}
	}
	return data, nil
}

// truncate shortens what an error quotes.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
