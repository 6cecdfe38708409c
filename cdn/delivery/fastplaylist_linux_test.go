package delivery

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// halfPlayed is a fixture serving one stream with the first half of the
// recording played into it, and the means to play on.
type halfPlayed struct {
	*fixture
	r      *recording
	st     *window.Stream
	video  *window.Track
	played int
}

func newHalfPlayed(t *testing.T, cfg Config, name string) *halfPlayed {
	t.Helper()
	r := record(t)
	p := &halfPlayed{fixture: newFixture(t, cfg), r: r, st: r.window(name), played: len(r.chunks) / 2}
	r.play(t, p.st, 0, p.played)
	p.streams.Add(p.st)
	p.video, _ = p.st.Track(1, false)
	return p
}

// playOne plays the recording's next chunk.
func (p *halfPlayed) playOne(t *testing.T) {
	t.Helper()
	p.r.play(t, p.st, p.played, p.played+1)
	p.played++
}

// blockFor is a Config.MaxBlock of d whatever the target duration.
func blockFor(d time.Duration) func(time.Duration) time.Duration {
	return func(time.Duration) time.Duration { return d }
}

// rawConn is one client connection that sends requests as written.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(t *testing.T, target string) {
	t.Helper()
	if _, err := io.WriteString(rc.c, "GET "+target+" HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawConn) read(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// fullServer serves f's handler without the fast path, and returns its
// address.
func fullServer(t *testing.T, f *fixture) string {
	t.Helper()
	srv := f.h.Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(Listener(ln)) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// sameAnswer fails unless two answers have the same status, body and
// headers, but for Date and, when they both have it, Server-Timing.
func sameAnswer(t *testing.T, what string, fr *http.Response, fb []byte, rr *http.Response, rb []byte) {
	t.Helper()
	if fr.StatusCode != rr.StatusCode {
		t.Fatalf("%s: fast %d, full %d", what, fr.StatusCode, rr.StatusCode)
	}
	if !bytes.Equal(fb, rb) {
		t.Fatalf("%s: bodies differ\nfast:\n%s\nfull:\n%s", what, fb, rb)
	}
	for _, h := range []http.Header{fr.Header, rr.Header} {
		h.Del("Date")
	}
	if (fr.Header.Get("Server-Timing") == "") != (rr.Header.Get("Server-Timing") == "") {
		t.Fatalf("%s: Server-Timing %q on the fast path, %q on the full", what, fr.Header.Get("Server-Timing"), rr.Header.Get("Server-Timing"))
	}
	fr.Header.Del("Server-Timing")
	rr.Header.Del("Server-Timing")
	if fh, rh := headerText(fr.Header), headerText(rr.Header); fh != rh {
		t.Fatalf("%s: headers differ\nfast:\n%s\nfull:\n%s", what, fh, rh)
	}
}

var publishTime = regexp.MustCompile(` publishTime="[^"]*"`)

// nextPart returns the directives naming the part after the last one of
// a track.
func nextPart(tr *window.Track) string {
	last, _ := tr.Last()
	parts := last.Parts()
	msn, part := last.MSN, len(parts)
	if len(parts) > 0 && !parts[len(parts)-1].Complete {
		part--
	}
	return fmt.Sprintf("_HLS_msn=%d&_HLS_part=%d", msn, part)
}

// TestFastPlaylistsMatchFull checks that the fast path answers playlists,
// blocking reloads woken by their part and reloads that time out with the
// same status, headers and bytes as the full server, and keeps the
// connection all along.
func TestFastPlaylistsMatchFull(t *testing.T) {
	f := newHalfPlayed(t, Config{Hop: "o", MaxBlock: blockFor(300 * time.Millisecond)}, "p")
	fast, full := dialRaw(t, f.addr), dialRaw(t, fullServer(t, f.fixture))
	tr := f.video
	last, _ := tr.Last()

	for _, target := range []string{
		"index.m3u8",
		"index.m3u8?token=t0k-en_1",
		"video.m3u8",
		"audio.m3u8?_HLS_skip=YES",
		fmt.Sprintf("video.m3u8?_HLS_msn=%d&_HLS_part=0", last.MSN-1),
		fmt.Sprintf("video.m3u8?_HLS_msn=%d&lt_byterange=1&token=abc&_HLS_msn=99999", last.MSN-1),
		"manifest.mpd",
		"manifest.mpd?addressing=simple&token=t0k",
	} {
		fast.send(t, "/live/p/"+target)
		full.send(t, "/live/p/"+target)
		fr, fb := fast.read(t)
		rr, rb := full.read(t)
		// An MPD is stamped with the time it was rendered.
		fb, rb = publishTime.ReplaceAll(fb, nil), publishTime.ReplaceAll(rb, nil)
		sameAnswer(t, target, fr, fb, rr, rb)
	}

	t.Run("clock", func(t *testing.T) {
		fast.send(t, "/time")
		full.send(t, "/time")
		fr, fb := fast.read(t)
		rr, rb := full.read(t)
		ft, err1 := time.Parse(time.RFC3339, string(fb))
		rt, err2 := time.Parse(time.RFC3339, string(rb))
		if err1 != nil || err2 != nil || ft.Sub(rt).Abs() > time.Second {
			t.Fatalf("clocks %q and %q", fb, rb)
		}
		sameAnswer(t, "/time", fr, rb, rr, rb) // bodies compared as clocks above
	})

	t.Run("timed out", func(t *testing.T) {
		target := "/live/p/video.m3u8?" + nextPart(tr)
		fast.send(t, target)
		full.send(t, target)
		fr, fb := fast.read(t)
		rr, rb := full.read(t)
		if fr.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", fr.StatusCode)
		}
		sameAnswer(t, target, fr, fb, rr, rb)
	})

	t.Run("woken", func(t *testing.T) {
		target := "/live/p/video.m3u8?" + nextPart(tr)
		blocked := f.h.Stats().Blocked.Load()
		fast.send(t, target)
		full.send(t, target)
		waitFor(t, 5*time.Second, "both requests to block", func() bool { return f.h.Stats().Blocked.Load() == blocked+2 })
		// One chunk at a time, so both are answered from the same version.
		for f.h.Stats().Blocked.Load() > blocked {
			f.playOne(t)
			time.Sleep(20 * time.Millisecond)
		}
		fr, fb := fast.read(t)
		rr, rb := full.read(t)
		if fr.StatusCode != http.StatusOK || !strings.HasPrefix(fr.Header.Get("Server-Timing"), "block;dur=") {
			t.Fatalf("status %d, Server-Timing %q", fr.StatusCode, fr.Header.Get("Server-Timing"))
		}
		sameAnswer(t, target, fr, fb, rr, rb)
	})

	if n := f.fast.Conns(); n != 1 {
		t.Fatalf("%d connections on the fast path, want the one that asked for playlists", n)
	}
}

// TestFastParkedPipeline checks that a parked request with more requests
// pipelined behind it than the loop reads at once keeps its connection,
// and that every answer comes back in order once the part is there.
func TestFastParkedPipeline(t *testing.T) {
	f := newHalfPlayed(t, Config{MaxBlock: blockFor(time.Minute)}, "q")
	tr := f.video
	objs := fastObjects(t, f.st)
	part := pick(objs, window.ObjPart, "video")

	rc := dialRaw(t, f.addr)
	const behind = 200 // about 12 KB of requests, three read buffers
	var req strings.Builder
	req.WriteString("GET /live/q/video.m3u8?" + nextPart(tr) + " HTTP/1.1\r\nHost: t\r\n\r\n")
	for range behind {
		req.WriteString("GET /live/q/" + part + " HTTP/1.1\r\nHost: t\r\n\r\n")
	}
	if req.Len() < 2*readBufferSize {
		t.Fatalf("%d bytes of requests do not fill the read buffer", req.Len())
	}
	go func() { _, _ = io.WriteString(rc.c, req.String()) }()
	waitFor(t, 5*time.Second, "the request to park", func() bool { return f.h.Stats().Blocked.Load() == 1 })
	time.Sleep(100 * time.Millisecond) // the rest arrives behind it
	for f.h.Stats().Blocked.Load() > 0 {
		f.playOne(t)
		time.Sleep(10 * time.Millisecond)
	}
	if resp, body := rc.read(t); resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("#EXTM3U")) {
		t.Fatalf("playlist: status %d", resp.StatusCode)
	}
	for i := range behind {
		resp, body := rc.read(t)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, objs[mustParse(t, part)]) {
			t.Fatalf("part %d: status %d, %d bytes", i, resp.StatusCode, len(body))
		}
	}
	if n := f.fast.Conns(); n != 1 {
		t.Fatalf("%d connections on the fast path, want 1", n)
	}
}

func mustParse(t *testing.T, name string) window.ObjectName {
	t.Helper()
	n, err := window.ParseObjectName(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFastParkedAtClose checks that requests parked on the fast path are
// answered 503 when the handler closes, as waits in the full server are.
func TestFastParkedAtClose(t *testing.T) {
	f := newHalfPlayed(t, Config{MaxBlock: blockFor(time.Minute)}, "c")
	tr := f.video
	conns := make([]*rawConn, 20)
	for i := range conns {
		conns[i] = dialRaw(t, f.addr)
		conns[i].send(t, "/live/c/video.m3u8?"+nextPart(tr))
	}
	waitFor(t, 5*time.Second, "the requests to park", func() bool { return f.h.Stats().Blocked.Load() == int64(len(conns)) })
	f.h.Close()
	for i, rc := range conns {
		if resp, _ := rc.read(t); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("request %d: status %d, want 503", i, resp.StatusCode)
		}
	}
	if n := f.h.Stats().Blocked.Load(); n != 0 {
		t.Fatalf("%d requests still blocked", n)
	}
}

// TestFastBalancesConns checks that connections spread evenly over the
// loops, however the listener wakes them.
func TestFastBalancesConns(t *testing.T) {
	f := newFixture(t, Config{})
	fl := f.fast.(*fastLoop)
	const n = 64
	for range n {
		dialRaw(t, f.addr)
	}
	waitFor(t, 5*time.Second, "every connection to be taken in", func() bool { return f.fast.Conns() == n })
	for i, w := range fl.workers {
		if got, fair := w.load.Load(), int64(n/len(fl.workers)); got < fair-1 || got > fair+1 {
			t.Errorf("loop %d holds %d connections, want %d±1", i, got, fair)
		}
	}
}

// TestFastStreamsMatchFull checks that the fast path streams a part that
// has yet to begin and a segment still being written as the full server
// does: same status, headers and bytes, the bytes the window ends up
// holding, on a connection it keeps.
func TestFastStreamsMatchFull(t *testing.T) {
	f := newHalfPlayed(t, Config{Hop: "o"}, "s")
	fullAddr := fullServer(t, f.fixture)
	last, _ := f.video.Last()
	if last.Complete() {
		t.Fatal("the newest segment is complete")
	}
	part := window.ObjectName{Type: window.ObjPart, Kind: "video", Epoch: last.Init.Epoch, MSN: last.MSN, Part: len(last.Parts())}
	seg := window.ObjectName{Type: window.ObjSegment, Kind: "video", Epoch: last.Init.Epoch, MSN: last.MSN}

	type answer struct {
		resp *http.Response
		body []byte
	}
	var fastConns []*rawConn
	results := map[string]chan answer{}
	for _, n := range []window.ObjectName{part, seg} {
		for _, side := range []string{"fast", "full"} {
			addr := f.addr
			if side == "full" {
				addr = fullAddr
			}
			rc := dialRaw(t, addr)
			if side == "fast" {
				fastConns = append(fastConns, rc)
			}
			rc.send(t, "/live/s/"+n.String())
			ch := make(chan answer, 1)
			results[side+" "+n.String()] = ch
			go func() {
				_ = rc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
				resp, err := http.ReadResponse(rc.br, nil)
				if err != nil {
					ch <- answer{}
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ch <- answer{resp, body}
			}()
		}
	}
	waitFor(t, 5*time.Second, "the part requests to block", func() bool { return f.h.Stats().Blocked.Load() == 2 })
	for !last.Complete() {
		f.playOne(t)
		time.Sleep(5 * time.Millisecond)
	}
	segBytes, _ := last.Bytes(0)
	p, _ := last.Part(part.Part)
	want := map[window.ObjectName][]byte{part: segBytes[p.Offset : p.Offset+p.Size], seg: segBytes}
	for n, data := range want {
		fa, ra := <-results["fast "+n.String()], <-results["full "+n.String()]
		if fa.resp == nil || ra.resp == nil {
			t.Fatalf("%s: no answer (fast %v, full %v)", n, fa.resp != nil, ra.resp != nil)
		}
		if !bytes.Equal(fa.body, data) {
			t.Fatalf("%s: fast path sent %d bytes, the window holds %d", n, len(fa.body), len(data))
		}
		if fa.resp.TransferEncoding == nil || fa.resp.TransferEncoding[0] != "chunked" {
			t.Errorf("%s: transfer encoding %v, want chunked", n, fa.resp.TransferEncoding)
		}
		sameAnswer(t, n.String(), fa.resp, fa.body, ra.resp, ra.body)
	}
	if n := f.fast.Conns(); n != len(fastConns) {
		t.Fatalf("%d connections on the fast path, want %d", n, len(fastConns))
	}
	if n := f.h.Stats().Streaming.Load(); n != 0 {
		t.Fatalf("%d streams still open", n)
	}
}

// TestFastParkedDeadlines checks that each parked request gets its 503 at
// its own blocking limit, whoever else waits for the same part and hangs
// up meanwhile.
func TestFastParkedDeadlines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // one loop, so one group
	f := newHalfPlayed(t, Config{MaxBlock: blockFor(time.Second)}, "dl")
	target := "/live/dl/video.m3u8?" + nextPart(f.video)
	a, b, c, d := dialRaw(t, f.addr), dialRaw(t, f.addr), dialRaw(t, f.addr), dialRaw(t, f.addr)
	a.send(t, target)
	time.Sleep(300 * time.Millisecond)
	b.send(t, target)
	time.Sleep(300 * time.Millisecond)
	c.send(t, target)
	cSent := time.Now()
	time.Sleep(350 * time.Millisecond)
	d.send(t, target)
	time.Sleep(20 * time.Millisecond)
	b.c.Close() // before a's limit, so a group of a, c and d is released then
	for _, rc := range []*rawConn{a, c} {
		if resp, _ := rc.read(t); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", resp.StatusCode)
		}
	}
	// c's limit is 1 s; d's, which a wrong group deadline would give it, 1.35 s.
	if waited := time.Since(cSent); waited > 1250*time.Millisecond {
		t.Fatalf("c answered after %v, past its 1 s limit", waited)
	}
}
