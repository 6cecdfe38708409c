package delivery

import (
	"bytes"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/livetree/livetree/packager/window"
)

// TestSlowReaderIsDropped checks that a client that stops reading a
// streamed object is cut off after the write timeout, while another client
// streaming the same object gets all of it without delay.
func TestSlowReaderIsDropped(t *testing.T) {
	f := newFixture(t, Config{WriteTimeout: time.Second})
	r := record(t)
	st := r.window("slow")
	f.streams.Add(st)
	tr, _ := st.Track(1, false)
	const chunk, chunks = 256 << 10, 64
	data := bytes.Repeat([]byte("livetree"), chunk/8)
	add := func(i int) {
		t.Helper()
		m := window.ChunkMeta{MSN: 0, Part: 0, Duration: 3000, Independent: i == 0}
		if err := tr.Append(m, data); err != nil {
			t.Fatal(err)
		}
	}
	add(0)
	name := window.ObjectName{Type: window.ObjSegment, Kind: "video", Epoch: r.inits[1].Epoch, MSN: 0}
	path := "/live/slow/" + name.String()

	slow, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := slow.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the slow client's stream", func() bool { return f.h.Stats().Streaming.Load() == 1 })

	fast := make(chan streamed, 1)
	go func() {
		fast <- fetchStreaming(t, f.base+path, func() bool { return false })
	}()
	waitFor(t, 2*time.Second, "the fast client's stream", func() bool { return f.h.Stats().Streaming.Load() == 2 })
	start := time.Now()
	for i := 1; i < chunks; i++ {
		add(i)
		time.Sleep(5 * time.Millisecond)
	}
	tr.EndSegment()
	s := <-fast
	if s.err != nil || s.resp.StatusCode != http.StatusOK {
		t.Fatalf("fast client: status %d, %v", s.resp.StatusCode, s.err)
	}
	if len(s.body) != chunk*chunks {
		t.Fatalf("fast client got %d bytes of %d", len(s.body), chunk*chunks)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("fast client took %v behind a stuck one", d)
	}
	waitFor(t, 3*time.Second, "the slow client to be dropped", func() bool { return f.h.Stats().Aborted.Load() == 1 })
	if f.h.Stats().Streaming.Load() != 0 {
		t.Errorf("%d streams still open", f.h.Stats().Streaming.Load())
	}
}
