//go:build linux

package arrival

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Keeper holds the kernel's receive timestamping on. The kernel turns it
// on a little after the first socket asks for it (from a work queue) and
// off once the last such socket closes; packets received in between carry
// no stamp. A benchmark that opens and closes its stamped connections
// round after round holds a Keeper across them.
type Keeper struct {
	ln     net.Listener
	client *Conn
	server net.Conn
}

// Keep returns once a probe connection on loopback receives a stamped
// packet, or fails after timeout. Close releases the probe.
func Keep(timeout time.Duration) (*Keeper, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	k := &Keeper{ln: ln}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	k.server = <-accepted
	if k.server == nil {
		c.Close()
		ln.Close()
		return nil, errors.New("arrival: probe not accepted")
	}
	if k.client, err = NewConn(c.(*net.TCPConn)); err != nil {
		k.Close()
		return nil, err
	}
	end := time.Now().Add(timeout)
	var buf [1]byte
	for time.Now().Before(end) {
		if _, err := k.server.Write(buf[:]); err != nil {
			k.Close()
			return nil, err
		}
		_, st, err := k.client.ReadStamped(buf[:])
		if err != nil {
			k.Close()
			return nil, err
		}
		if !st.Last.IsZero() {
			return k, nil
		}
		time.Sleep(time.Millisecond)
	}
	k.Close()
	return nil, fmt.Errorf("%w within %v of asking", ErrNoStamp, timeout)
}

// Close releases the probe connection.
func (k *Keeper) Close() error {
	var errs []error
	if k.client != nil {
		errs = append(errs, k.client.Close())
	}
	if k.server != nil {
		errs = append(errs, k.server.Close())
	}
	errs = append(errs, k.ln.Close())
	return errors.Join(errs...)
}
