package delivery

import (
	"net"
	"sync"
)

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
// It also keeps its registration for hang-ups from its first wait to its
// Close, rather than registering each wait anew.
//
// fasthttp writes to a connection from one goroutine at a time, so the
// write fields need no lock.
type conn struct {
	*net.TCPConn
	holding bool   // the next Write is kept back
	held    []byte // a write kept back, sent before any later bytes
	bufs    [2][]byte
	pre     []byte // bytes the fast path read and did not answer

	mu     sync.Mutex // guards hang and closed: Close may come from any goroutine
	hang   *hangup
	closed bool
}

// watch returns the connection's registration in p, made at the first call.
func (c *conn) watch(p *hangups) *hangup {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hang == nil && !c.closed {
		if c.hang = p.register(c.TCPConn); c.hang != nil {
			c.hang.kept = true
		}
	}
	return c.hang
}

func (c *conn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.hang != nil {
		c.hang.release()
		c.hang = nil
	}
	c.mu.Unlock()
	return c.TCPConn.Close()
}

// hold keeps the next write back until bytes follow it.
func (c *conn) hold() { c.holding = true }

// takeHeld returns the bytes kept back, which the caller now sends first.
func (c *conn) takeHeld() []byte {
	h := c.held
	c.held = c.held[:0]
	return h
}

func (c *conn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.TCPConn.Read(p)
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
