//go:build linux

package delivery

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestHeldWrite checks that a write kept back by conn.hold sends nothing
// on its own and goes out, in order, in front of whatever is written next.
func TestHeldWrite(t *testing.T) {
	header := []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk := bytes.Repeat([]byte("livetree"), 40_000)
	tests := []struct {
		name string
		next func(c *conn) error
		want []byte
	}{
		{"chunk", func(c *conn) error {
			_, err := newChunkWriter(c).write(chunk, time.Second)
			return err
		}, append(append(append([]byte{}, header...), "4e200\r\n"...), append(chunk, "\r\n"...)...)},
		{"plain write", func(c *conn) error {
			_, err := c.Write([]byte("0\r\n\r\n"))
			return err
		}, append(append([]byte{}, header...), "0\r\n\r\n"...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln := Listener(listen(t))
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			nc, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			c, ok := nc.(*conn)
			if !ok {
				t.Fatalf("accepted a %T, want *conn", nc)
			}

			c.hold()
			if n, err := c.Write(header); n != len(header) || err != nil {
				t.Fatalf("held write: %d, %v", n, err)
			}
			_ = client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, err := client.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read %d bytes (%v) of a held write", n, err)
			}

			if err := tc.next(c); err != nil {
				t.Fatal(err)
			}
			c.Close()
			_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(client)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("read %d bytes, want %d; equal prefix %d", len(got), len(tc.want), commonPrefix(got, tc.want))
			}
		})
	}
}
