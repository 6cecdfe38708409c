//go:build !linux

package delivery

// chunkWriter is not available on this platform; bodies go through
// fasthttp's chunked writer.
type chunkWriter struct{}

func newChunkWriter(any) *chunkWriter { return nil }

func (c *chunkWriter) write([]byte) (int, error) { return 0, nil }
