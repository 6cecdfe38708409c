package ingest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// publisherConn is a publisher's TCP connection with a read deadline
// refreshed on every read, a byte budget for the setup phase and a byte
// counter. It is used by one goroutine.
type publisherConn struct {
	net.Conn
	timeout time.Duration
	// budget bounds the bytes read until setupDone; 0 means no bound.
	budget  int64
	read    int64
	counter *atomic.Uint64

	// timedOut and overBudget record why reads failed, since libraries
	// above may not wrap the error.
	timedOut, overBudget bool
}

func newPublisherConn(nc net.Conn, timeout time.Duration, budget int64, counter *atomic.Uint64) *publisherConn {
	return &publisherConn{Conn: nc, timeout: timeout, budget: budget, counter: counter}
}

// setupDone lifts the setup byte budget.
func (c *publisherConn) setupDone() { c.budget = 0 }

func (c *publisherConn) Read(p []byte) (int, error) {
	if c.budget > 0 && c.read >= c.budget {
		c.overBudget = true
		return 0, fmt.Errorf("%w: more than %d bytes before the tracks were known", ErrTooLarge, c.budget)
	}
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.read += int64(n)
	c.counter.Add(uint64(n))
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.timedOut = true
		err = fmt.Errorf("%w: no data for %v", ErrTimeout, c.timeout)
	}
	return n, err
}

func (c *publisherConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// lingerClose half-closes the connection and reads what the peer still
// sends for up to d, so data written just before is not lost to a TCP
// reset, then closes it.
func (c *publisherConn) lingerClose(d time.Duration) {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, 1<<20))
	_ = c.Conn.Close()
}
