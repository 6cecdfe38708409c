package delivery

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/packager/window"
)

// fastFixture starts a fixture serving a stream of the recording's first
// half, and returns it with fastObjects of the stream.
func fastFixture(t *testing.T, name string) (*fixture, map[window.ObjectName][]byte) {
	t.Helper()
	p := newHalfPlayed(t, Config{Hop: "o"}, name)
	return p.fixture, fastObjects(t, p.st)
}

// pick returns the name of an object of fastObjects of a type and kind.
func pick(objs map[window.ObjectName][]byte, typ window.ObjectKind, kind string) string {
	for n := range objs {
		if n.Type == typ && n.Kind == kind {
			return n.String()
		}
	}
	return ""
}

// fastObjects returns the names of a complete init segment, video and
// audio parts, and a complete segment of st, with the bytes the window
// holds for each.
func fastObjects(t *testing.T, st *window.Stream) map[window.ObjectName][]byte {
	t.Helper()
	objs := map[window.ObjectName][]byte{}
	for _, kind := range []string{"video", "audio"} {
		id, _ := window.TrackIDOf(kind)
		tr, _ := st.Track(id, false)
		in := tr.Init()
		objs[window.ObjectName{Type: window.ObjInit, Kind: kind, Epoch: in.Epoch}] = in.Data
		segs := tr.Segments()
		seg := segs[len(segs)-2]
		data, _ := seg.Bytes(0)
		objs[window.ObjectName{Type: window.ObjSegment, Kind: kind, Epoch: seg.Init.Epoch, MSN: seg.MSN}] = data
		for _, p := range seg.Parts() {
			n := window.ObjectName{Type: window.ObjPart, Kind: kind, Epoch: seg.Init.Epoch, MSN: seg.MSN, Part: p.Index}
			objs[n] = data[p.Offset : p.Offset+p.Size]
		}
	}
	return objs
}

// TestFastMatchesFull checks that the fast path answers a complete object
// with the same status, headers and bytes as the full server, and counts
// it the same way.
func TestFastMatchesFull(t *testing.T) {
	f, objs := fastFixture(t, "m")

	// The same handler behind a server without the fast path.
	srv := f.h.Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(Listener(ln)) }()
	defer srv.Shutdown()
	full := "http://" + ln.Addr().String()

	for n, want := range objs {
		name := n.String()
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			before := f.h.Stats().BytesOut.Load()
			fr, fb := do(t, method, f.base+"/live/m/"+name)
			sent := f.h.Stats().BytesOut.Load() - before
			rr, rb := do(t, method, full+"/live/m/"+name)
			if fr.StatusCode != http.StatusOK || rr.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: fast %d, full %d", method, name, fr.StatusCode, rr.StatusCode)
			}
			if !bytes.Equal(fb, rb) || (method == http.MethodGet && !bytes.Equal(fb, want)) {
				t.Fatalf("%s %s: bodies differ (%d, %d, window %d bytes)", method, name, len(fb), len(rb), len(want))
			}
			if method == http.MethodGet && sent != uint64(len(want)) {
				t.Errorf("%s %s: counted %d bytes out, sent %d", method, name, sent, len(want))
			}
			fr.Header.Del("Date")
			rr.Header.Del("Date")
			if fh, rh := headerText(fr.Header), headerText(rr.Header); fh != rh {
				t.Fatalf("%s %s: headers differ\nfast:\n%s\nfull:\n%s", method, name, fh, rh)
			}
		}
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

// TestFastHandsOver sends, pipelined in one write, a part the fast path
// answers, then a playlist with a Range header, which it leaves to the
// full server, and another part, and checks that all three come back in order, whole, on the one
// connection, which is then the server's.
func TestFastHandsOver(t *testing.T) {
	f, objs := fastFixture(t, "h")
	part, seg := pick(objs, window.ObjPart, "video"), pick(objs, window.ObjSegment, "video")
	byName := map[string][]byte{}
	for n, data := range objs {
		byName[n.String()] = data
	}
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET /live/h/" + part + " HTTP/1.1\r\nHost: t\r\n\r\n" +
		"GET /live/h/video.m3u8 HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\n" +
		"GET /live/h/" + seg + " HTTP/1.1\r\nHost: t\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i, want := range []string{part, "video.m3u8", seg} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, %v", want, resp.StatusCode, err)
		}
		if data, ok := byName[want]; ok && !bytes.Equal(body, data) {
			t.Fatalf("%s: %d bytes, want %d", want, len(body), len(data))
		}
		if want == "video.m3u8" && !bytes.HasPrefix(body, []byte("#EXTM3U")) {
			t.Fatalf("playlist: %q", body)
		}
	}
	if n := f.fast.Conns(); n != 0 {
		t.Fatalf("%d connections left on the fast path after the hand-over", n)
	}
}

// TestFastSlowReader checks that a client that stops reading holds only
// its own answers back: another client's are immediate, and the stuck
// one gets every byte, in order, once it reads again.
func TestFastSlowReader(t *testing.T) {
	f, objs := fastFixture(t, "w")
	seg := pick(objs, window.ObjSegment, "video")
	var want []byte
	for n, data := range objs {
		if n.String() == seg {
			want = data
		}
	}

	stuck, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	// Enough answers to fill both sockets' buffers (megabytes on loopback)
	// several times over.
	n := 1 + (32<<20)/len(want)
	one := "GET /live/w/" + seg + " HTTP/1.1\r\nHost: t\r\n\r\n"
	if _, err := io.WriteString(stuck, strings.Repeat(one, n)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)

	for range 20 {
		start := time.Now()
		resp, body := get(t, f.base+"/live/w/"+seg)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("other client: status %d, %d bytes", resp.StatusCode, len(body))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("other client waited %v behind a stuck one", d)
		}
	}

	_ = stuck.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(stuck)
	for i := range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("stuck client, answer %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(body, want) {
			t.Fatalf("stuck client, answer %d: %d bytes, %v", i, len(body), err)
		}
	}
}

// fastAlone returns a handler holding stream name, half played, and a
// fast listener for it on a loopback port, which no server serves yet.
func fastAlone(t *testing.T, name string) (*Handler, *window.Stream, FastListener) {
	t.Helper()
	r := record(t)
	h := New(Config{}, zerolog.Nop())
	t.Cleanup(h.Close)
	st := r.window(name)
	r.play(t, st, 0, len(r.chunks)/2)
	h.cfg.Streams.Add(st)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl, err := h.FastListener(ln, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fl.Close() })
	return h, st, fl
}

// TestFastClose checks that Connection: close is honoured and that closing
// the listener closes the connections still on the fast path.
func TestFastClose(t *testing.T) {
	h, st, fl := fastAlone(t, "c")
	srv := h.Server()
	go func() { _ = srv.Serve(fl) }()
	part := pick(fastObjects(t, st), window.ObjPart, "audio")

	closing, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer closing.Close()
	_, _ = io.WriteString(closing, "GET /live/c/"+part+" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	_ = closing.SetReadDeadline(time.Now().Add(5 * time.Second))
	if all, err := io.ReadAll(closing); err != nil || !bytes.HasPrefix(all, []byte("HTTP/1.1 200 OK\r\n")) ||
		!bytes.Contains(all, []byte("\r\nConnection: close\r\n")) {
		t.Fatalf("Connection: close: %v, %q", err, all[:min(len(all), 200)])
	}

	idle, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	waitFor(t, 5*time.Second, "the idle connection on the fast path", func() bool { return fl.Conns() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.ShutdownWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection after shutdown: %v, want EOF", err)
	}
	if n := fl.Conns(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
}

// TestFastShedsHandOver checks that a server that takes no connections
// handed over costs only those connections: once the queue is full the
// loop closes the next one instead of waiting, answers its other clients,
// and closing the listener closes what was queued.
func TestFastShedsHandOver(t *testing.T) {
	defer func(n int) { handOverQueue = n }(handOverQueue)
	handOverQueue = 1
	_, st, fl := fastAlone(t, "s") // no server calls Accept
	part := pick(fastObjects(t, st), window.ObjPart, "video")
	ranged := "GET /live/s/" + part + " HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n"

	queued := dialRaw(t, fl.Addr().String())
	_, _ = io.WriteString(queued.c, ranged)
	waitFor(t, 5*time.Second, "the first hand-over", func() bool { return fl.Conns() == 0 })
	shed := dialRaw(t, fl.Addr().String())
	_, _ = io.WriteString(shed.c, ranged)
	_ = shed.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := shed.br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a hand-over with the queue full: read %d, %v; want EOF", n, err)
	}

	served := dialRaw(t, fl.Addr().String())
	served.send(t, "/live/s/"+part)
	if resp, _ := served.read(t); resp.StatusCode != http.StatusOK {
		t.Fatalf("a part while the queue is full: %d", resp.StatusCode)
	}

	fl.Close()
	_ = queued.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := queued.br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the queued connection after Close: read %d, %v; want EOF", n, err)
	}
}

// TestFastSplitRequest sends a request in pieces, the way a slow client
// or a small packet may, and checks that the fast path answers it once it
// is whole, and then the next one.
func TestFastSplitRequest(t *testing.T) {
	f, objs := fastFixture(t, "p")
	part := pick(objs, window.ObjPart, "video")
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET /live/p/" + part + " HTTP/1.1\r\nHost: t\r\n\r\n"
	br := bufio.NewReader(c)
	for range 2 {
		for _, piece := range []string{req[:3], req[3:20], req[20 : len(req)-1], req[len(req)-1:]} {
			if _, err := io.WriteString(c, piece); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
		}
		if n := f.fast.Conns(); n != 1 {
			t.Fatalf("%d connections on the fast path, want this one", n)
		}
	}
}

// smallBuffers dials addr with a small receive buffer and shrinks the send
// buffers of the fast path's connections, so that an answer of some tens
// of kilobytes waits for the client to read.
func smallBuffers(t *testing.T, f *fixture) net.Conn {
	t.Helper()
	// Accepted sockets take the listener's buffer sizes.
	if err := unix.SetsockoptInt(f.fast.(*fastLoop).lfd, unix.SOL_SOCKET, unix.SO_SNDBUF, 16384); err != nil {
		t.Fatal(err)
	}
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 2048) })
	}}
	c, err := d.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFastHalfClose checks that a client that shuts its side down after
// its request still gets the whole answer, though the socket could not
// take it at once.
func TestFastHalfClose(t *testing.T) {
	f, objs := fastFixture(t, "hc")
	seg := pick(objs, window.ObjSegment, "video")
	want := objs[mustParse(t, seg)]
	c := smallBuffers(t, f)
	fmt.Fprintf(c, "GET /live/hc/%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", seg)
	time.Sleep(100 * time.Millisecond)
	_ = c.(*net.TCPConn).CloseWrite()
	time.Sleep(100 * time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(body, want) {
		t.Fatalf("%d bytes of %d, %v", len(body), len(want), err)
	}
}

// TestFastLimitsRunFromAnswer checks that an object streamed after a long
// wait for it to begin gets the whole write limit from its answer: a
// client that pauses for less than the limit is not cut off.
func TestFastLimitsRunFromAnswer(t *testing.T) {
	f := newHalfPlayed(t, Config{WriteTimeout: 2 * time.Second, MaxBlock: blockFor(30 * time.Second)}, "lr")
	tr := f.video
	last, _ := tr.Last()
	next := window.ObjectName{Type: window.ObjSegment, Kind: "video", Epoch: last.Init.Epoch, MSN: last.MSN + 1}
	c := smallBuffers(t, f.fixture)
	fmt.Fprintf(c, "GET /live/lr/%s HTTP/1.1\r\nHost: t\r\n\r\n", next)
	waitFor(t, 5*time.Second, "the request to park", func() bool { return f.h.Stats().Blocked.Load() == 1 })
	time.Sleep(2500 * time.Millisecond) // longer than the write limit
	// More of the segment than the sockets hold, but not all of it.
	var seg *window.Segment
	for seg == nil || seg.Size() < 64<<10 {
		f.playOne(t)
		seg, _ = tr.Segment(next.MSN)
	}
	if seg.Complete() {
		t.Fatal("the segment completed before the pause")
	}
	// A pause shorter than the limit, and longer than the sweep's period.
	time.Sleep(1300 * time.Millisecond)
	type result struct {
		body []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			got <- result{nil, err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		got <- result{body, err}
	}()
	for !seg.Complete() {
		f.playOne(t)
		time.Sleep(time.Millisecond)
	}
	res := <-got
	if res.err != nil || len(res.body) != seg.Size() {
		t.Fatalf("%d bytes of %d, %v (aborted %d)", len(res.body), seg.Size(), res.err, f.h.Stats().Aborted.Load())
	}
}

func TestPacketSpan(t *testing.T) {
	page := int(pageSize)
	for _, c := range []struct {
		at        int64
		n, queued int
		want      int
		name      string
	}{
		{0, 1000, 300, 1000, "a small body: all of it"},
		{int64(page), 200 << 10, 0, 200 << 10, "from a page boundary: all of it"},
		{100, 200 << 10, 0, 15*page - 100, "the byte limit, back to a page boundary"},
		{int64(page - 10), 200 << 10, 0, 15*page + 10, "16 fragments from the last 10 bytes of a page"},
		{int64(page - 10), 200 << 10, 400, 15*page + 10, "with the header, still 16 fragments"},
		{int64(page - 10), 40000, 400, 40000, "a body that fits: all of it"},
		{100, 200 << 10, packetBytes, page - 100, "a header that fills the packet: the page"},
	} {
		if got := packetSpan(c.at, c.n, c.queued); got != c.want {
			t.Errorf("%s: packetSpan(%d, %d, %d) = %d, want %d", c.name, c.at, c.n, c.queued, got, c.want)
		}
	}
}
