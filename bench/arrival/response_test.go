package arrival

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var responseCases = []struct {
	name    string
	in      string
	status  int
	bodyLen int64
	rest    string
	err     error // nil: done, or incomplete when incomplete is set
	partial bool  // the bytes end before the response does
}{
	{name: "content length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200, bodyLen: 5},
	{name: "pipelined rest", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204", status: 200, bodyLen: 2, rest: "HTTP/1.1 204"},
	{name: "empty body", in: "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", status: 503},
	{name: "no body", in: "HTTP/1.1 204 No Content\r\n\r\nX", status: 204, rest: "X"},
	{name: "reason absent", in: "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", status: 200, bodyLen: 1},
	{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n", status: 200, bodyLen: 8},
	{name: "chunked trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\na\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nnext", status: 200, bodyLen: 10, rest: "next"},
	{name: "partial header", in: "HTTP/1.1 200 OK\r\nContent-Le", partial: true},
	{name: "partial body", in: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", status: 200, bodyLen: 3, partial: true},
	{name: "partial chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", status: 200, bodyLen: 3, partial: true},
	{name: "not http", in: "SSH-2.0-OpenSSH\r\n\r\n", err: ErrResponse},
	{name: "bad status", in: "HTTP/1.1 2x0 OK\r\n\r\n", err: ErrResponse},
	{name: "no length", in: "HTTP/1.1 200 OK\r\n\r\nbody", err: ErrResponse},
	{name: "bad length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: ErrResponse},
	{name: "two lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", err: ErrResponse},
	{name: "gzip coding", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", err: ErrResponse},
	{name: "field without colon", in: "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", err: ErrResponse},
	{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 200, err: ErrResponse},
	{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", status: 200, bodyLen: 1, err: ErrResponse},
	{name: "line without CR", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\n", status: 200, err: ErrResponse},
	{name: "huge header", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeader) + "\r\n\r\n", err: ErrResponse},
}

// feedAll feeds in to a fresh Response in pieces of at most step bytes,
// the i-th read stamped i seconds after the epoch.
func feedAll(in string, step int) (r *Response, done bool, rest string, err error) {
	r, _, done, rest, err = feedBody(in, step)
	return r, done, rest, err
}

// feedBody is feedAll, and returns the body too.
func feedBody(in string, step int) (r *Response, body string, done bool, rest string, err error) {
	var b strings.Builder
	r = &Response{Body: func(p []byte) error { b.Write(p); return nil }}
	defer func() { body = b.String() }()
	for i := 0; len(in) > 0; i++ {
		k := min(step, len(in))
		var more []byte
		done, more, err = r.Feed([]byte(in[:k]), Stamp{Read: time.Unix(int64(i), 0)})
		in = in[k:]
		if err != nil {
			return r, "", false, "", err
		}
		if done {
			return r, "", true, string(more) + in, nil
		}
	}
	return r, "", false, "", nil
}

func TestResponseFieldsAndBody(t *testing.T) {
	in := "HTTP/1.1 302 Found\r\nlocation: http://e1/live/s/index.m3u8\r\nX-Livetree-Hop:  e1 \r\n" +
		"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	for _, step := range []int{len(in), 1, 5} {
		r, body, done, _, err := feedBody(in, step)
		if err != nil || !done || body != "abcde" || !r.Close {
			t.Fatalf("step %d: %v done %v body %q close %v", step, err, done, body, r.Close)
		}
		if got := string(r.Field("Location")); got != "http://e1/live/s/index.m3u8" {
			t.Errorf("Location %q", got)
		}
		if got := string(r.Field("x-livetree-hop")); got != "e1" {
			t.Errorf("X-Livetree-Hop %q", got)
		}
		if r.Field("Content-Length") != nil {
			t.Error("a field that is not there")
		}
	}
	stop := errors.New("sink full")
	r := &Response{Body: func([]byte) error { return stop }}
	if _, _, err := r.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"), Stamp{}); !errors.Is(err, stop) {
		t.Fatalf("the body's error: %v", err)
	}
	r.Reset()
	if r.Body == nil || r.Field("Content-Length") != nil {
		t.Fatal("Reset dropped Body or kept the header")
	}
}

func TestResponse(t *testing.T) {
	for _, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			// Every split of the bytes into reads frames the same.
			for _, step := range []int{len(tc.in), 1, 2, 3, 7} {
				r, done, rest, err := feedAll(tc.in, step)
				if !errors.Is(err, tc.err) {
					t.Fatalf("step %d: error %v, want %v", step, err, tc.err)
				}
				if err != nil {
					continue
				}
				if done == tc.partial || r.Status != tc.status || r.BodyLen != tc.bodyLen || rest != tc.rest {
					t.Fatalf("step %d: done %v status %d body %d rest %q; want done %v status %d body %d rest %q",
						step, done, r.Status, r.BodyLen, rest, !tc.partial, tc.status, tc.bodyLen, tc.rest)
				}
				if done && r.Done() != done {
					t.Fatalf("step %d: Done() = %v", step, r.Done())
				}
			}
		})
	}
}

func TestResponseStamps(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"
	r, done, _, err := feedAll(in, 10)
	if err != nil || !done {
		t.Fatalf("done %v, %v", done, err)
	}
	if r.First.Read.Unix() != 0 || r.Last.Read.Unix() != int64((len(in)-1)/10) {
		t.Fatalf("first %v last %v", r.First.Read.Unix(), r.Last.Read.Unix())
	}
	r.Reset()
	if r.Status != 0 || r.Done() || !r.First.Read.IsZero() {
		t.Fatalf("Reset left %+v", r)
	}
	if _, done, _, _ := feedAll(in, len(in)); !done {
		t.Fatal("a reset response does not frame the next")
	}
}

// FuzzResponse checks that framing never panics and does not depend on
// how the bytes are split into reads.
func FuzzResponse(f *testing.F) {
	for _, tc := range responseCases {
		// Minimizing a 16 KB seed's offspring stalls the fuzzer for long.
		if len(tc.in) <= 1024 {
			f.Add(tc.in, uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		if step == 0 {
			step = 1
		}
		r1, body1, done1, rest1, err1 := feedBody(in, len(in)+1)
		r2, body2, done2, rest2, err2 := feedBody(in, int(step))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v; in steps of %d: %v", err1, step, err2)
		}
		if err1 != nil {
			if !errors.Is(err1, ErrResponse) {
				t.Fatalf("error %v is not ErrResponse", err1)
			}
			return
		}
		if done1 != done2 || rest1 != rest2 || r1.Status != r2.Status || r1.BodyLen != r2.BodyLen || body1 != body2 ||
			int64(len(body1)) != r1.BodyLen {
			t.Fatalf("whole: %v %q %d %d; in steps of %d: %v %q %d %d",
				done1, rest1, r1.Status, r1.BodyLen, step, done2, rest2, r2.Status, r2.BodyLen)
		}
		if r1.BodyLen > int64(len(in)) {
			t.Fatalf("body of %d bytes in %d", r1.BodyLen, len(in))
		}
	})
}
