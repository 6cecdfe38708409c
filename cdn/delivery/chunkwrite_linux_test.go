//go:build linux

package delivery

import (
	"bytes"
	"errors"
	"io"
	"net/http/httputil"
	"os"
	"testing"
	"time"
)

// TestChunkWriterPartialWrites checks that chunks larger than the socket
// takes at once arrive whole and in order at a reader that keeps pausing,
// so that every chunk is written in several rounds with waits between.
// Before the iovecs were sliced afresh each round, the second round of a
// chunk skipped bytes.
func TestChunkWriterPartialWrites(t *testing.T) {
	client, server := connPair(t, listen(t))
	_ = client.SetReadBuffer(64 << 10)
	cw := newChunkWriter(server)
	var want bytes.Buffer
	chunks := make([][]byte, 4)
	for i := range chunks {
		chunks[i] = bytes.Repeat([]byte{byte('a' + i), byte('0' + i), '-'}, 1_000_000+i)
		want.Write(chunks[i])
	}
	got := make(chan []byte, 1)
	go func() {
		var raw bytes.Buffer
		buf := make([]byte, 16<<10)
		for {
			n, err := client.Read(buf)
			raw.Write(buf[:n])
			if err != nil {
				break
			}
			time.Sleep(time.Millisecond / 4)
		}
		body, _ := io.ReadAll(httputil.NewChunkedReader(&raw))
		got <- body
	}()
	for i, c := range chunks {
		n, err := cw.write(c, 5*time.Second)
		if err != nil || n != len(c) {
			t.Fatalf("chunk %d: wrote %d of %d: %v", i, n, len(c), err)
		}
	}
	if _, err := server.Write([]byte("0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	server.Close()
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("read %d bytes, want %d; equal prefix %d", len(b), want.Len(), commonPrefix(b, want.Bytes()))
	}
}

// TestChunkWriterTimeout checks that a chunk a stuck reader never takes
// fails after the timeout, and that no deadline is left on the connection.
func TestChunkWriterTimeout(t *testing.T) {
	client, server := connPair(t, listen(t))
	_ = client.SetReadBuffer(4 << 10)
	_ = server.SetWriteBuffer(8 << 10)
	cw := newChunkWriter(server)
	start := time.Now()
	_, err := cw.write(make([]byte, 4<<20), 200*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v, want a deadline", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v, want 200 ms", d)
	}
	// A write that needs no room must not fail on a deadline that passed.
	go func() { _, _ = io.Copy(io.Discard, client) }()
	time.Sleep(300 * time.Millisecond)
	if _, err := cw.write([]byte("x"), time.Second); err != nil {
		t.Fatalf("write after the timeout: %v", err)
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
