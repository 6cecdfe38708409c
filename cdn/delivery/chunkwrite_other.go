//go:build !linux

package delivery

import (
	"net"
	"time"
)

// chunkWriter is not available on this platform; bodies go through
// fasthttp's chunked writer.
type chunkWriter struct{}

func newChunkWriter(net.Conn) *chunkWriter { return nil }

func (c *chunkWriter) write([]byte, time.Duration) (int, error) { return 0, nil }
