package delivery

import (
	"errors"
	"io"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/livetree/livetree/packager/window"
)

const canSendFile = true

// sendFile sends n bytes of seg from byte off on with sendfile. It waits
// for the socket in the runtime's poller, not in the kernel, so the
// connection's write deadline applies and the window's file is held only
// while a call runs.
func sendFile(conn syscall.RawConn, seg *window.Segment, off, n int) (int, error) {
	sent := 0
	var serr error
	err := conn.Write(func(sock uintptr) bool {
		for sent < n {
			var m int
			err := seg.WithFile(off+sent, func(fd int, at int64) error {
				var err error
				// The corked header is not counted: a few hundred
				// bytes, inside the margin packetBytes leaves.
				m, err = unix.Sendfile(int(sock), fd, &at, packetSpan(at, n-sent, 0))
				return err
			})
			if m > 0 {
				sent += m
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.EAGAIN):
				return false
			case err != nil:
				serr = err
				return true
			case m == 0:
				serr = io.ErrUnexpectedEOF
				return true
			}
		}
		return true
	})
	if serr != nil {
		return sent, serr
	}
	return sent, err
}

// cork holds back (on) or lets go (off) the socket's partial packets, so
// that headers fasthttp writes before a sendfile leave in the same packet
// as the body instead of one of their own.
func cork(conn syscall.RawConn, on bool) {
	v := 0
	if on {
		v = 1
	}
	_ = conn.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, v)
	})
}

// The most one packet the kernel builds from a send holds: page
// fragments (MAX_SKB_FRAGS, 17 unless the kernel was built otherwise) and
// about 64 KB of payload.
const (
	packetFrags = 17
	packetBytes = 64000
)

var pageSize = int64(unix.Getpagesize())

// packetSpan is how many of the n body bytes at offset at of the window's
// file one sendfile should take, queued header bytes waiting for them.
//
// A call that fills a packet's fragments before its bytes leaves that
// packet queued until the call ends, with the next one behind it, and a
// TCP that paces itself (BBR without the fq qdisc, as on loopback) then
// holds the second back for a timer, however fast its rate. From a page
// boundary that cannot happen: 16 pages hold more than a packet's bytes,
// so each packet fills by bytes and leaves at once. A window's parts
// start anywhere in a page, unlike nginx's files, so a call from inside a
// page takes only what fills the first packet up to a page boundary (16
// pages' fragments, the header's one besides, and packetBytes in all),
// and the rest goes from the boundary in a second call.
func packetSpan(at int64, n, queued int) int {
	p := int(pageSize)
	a := int(at % pageSize)
	if a == 0 {
		return n
	}
	end := min((packetFrags-1)*p, a+packetBytes-queued) / p * p
	if end <= a {
		end = p // finish the page
	}
	return min(n, end-a)
}
