package play

import (
	"context"
	"net"
	"time"
)

// netReadSize is the read buffer of a netWire.
const netReadSize = 16 << 10

// netWire is a socket read by the goroutine that reads its responses.
type netWire struct {
	nc      net.Conn
	buf     []byte
	pending []byte // bytes of the next response, read with the last one
}

// dialNet opens a netWire.
func dialNet(ctx context.Context, host string) (wire, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	return &netWire{nc: nc, buf: make([]byte, netReadSize)}, nil
}

func (w *netWire) write(p []byte) error {
	_ = w.nc.SetWriteDeadline(time.Now().Add(dialTimeout))
	_, err := w.nc.Write(p)
	return err
}

func (w *netWire) read(deadline time.Time, feed feedFunc) error {
	if len(w.pending) > 0 {
		rest, done, err := feed(w.pending)
		w.pending = w.pending[:copy(w.pending, rest)]
		if done || err != nil {
			return err
		}
	}
	_ = w.nc.SetReadDeadline(deadline)
	for {
		n, err := w.nc.Read(w.buf)
		if n > 0 {
			rest, done, ferr := feed(w.buf[:n])
			if ferr != nil {
				return ferr
			}
			if done {
				w.pending = append(w.pending[:0], rest...)
				return nil
			}
		}
		if err != nil {
			return err
		}
	}
}

func (w *netWire) close() { w.nc.Close() }
