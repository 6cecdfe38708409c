package delivery

import "net"

// Listener wraps l so that the headers of a streamed object whose first
// bytes are already there leave in one packet with those bytes, rather
// than in a packet of their own that wakes the client for nothing. Serve
// the delivery handler's fasthttp server on it; on other listeners the
// headers go out alone, as before.
func Listener(l net.Listener) net.Listener { return &listener{Listener: l} }

type listener struct{ net.Listener }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &conn{TCPConn: tc}, nil
}

// conn can keep one write back to send it in front of the next. fasthttp
// flushes a streamed response's headers before it hands over to the body;
// held, they go out in the same writev as the body's first chunk.
//
// fasthttp writes to a connection from one goroutine at a time, so the
// fields need no lock.
type conn struct {
	*net.TCPConn
	holding bool   // the next Write is kept back
	held    []byte // a write kept back, sent before any later bytes
	bufs    [2][]byte
}

// hold keeps the next write back until bytes follow it.
func (c *conn) hold() { c.holding = true }

// takeHeld returns the bytes kept back, which the caller now sends first.
func (c *conn) takeHeld() []byte {
	h := c.held
	c.held = c.held[:0]
	return h
}

func (c *conn) Write(p []byte) (int, error) {
	if c.holding {
		c.holding = false
		c.held = append(c.held[:0], p...)
		return len(p), nil
	}
	if len(c.held) == 0 {
		return c.TCPConn.Write(p)
	}
	held := c.takeHeld()
	c.bufs = [2][]byte{held, p}
	bufs := net.Buffers(c.bufs[:])
	n, err := bufs.WriteTo(c.TCPConn)
	c.bufs = [2][]byte{}
	return int(max(n-int64(len(held)), 0)), err
}
