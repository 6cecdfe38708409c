//go:build !linux

package delivery

import "net"

// Listener returns l: holding headers back needs the chunk writer, which
// only Linux has.
func Listener(l net.Listener) net.Listener { return l }

// conn exists for the build only; no connection is one off Linux.
type conn struct{ net.Conn }

func (c *conn) hold() {}
