//go:build linux || darwin || freebsd

package delivery

import (
	"errors"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// watcher tells a waiting handler that its client hung up. fasthttp reads
// nothing while a handler runs and has no context cancelled on disconnect,
// so the watcher peeks at the socket itself: it parks in the runtime's
// network poller until the socket is readable, then looks without
// consuming. End of stream or a reset means the client is gone; data means
// a pipelined request, which leaves the connection to fasthttp.
type watcher struct {
	ctx  *fasthttp.RequestCtx
	gone chan struct{} // closed when the client hangs up
	done chan struct{} // closed when the watching goroutine returns
}

// watch starts watching ctx's connection. It returns nil for a connection
// that is not a socket; a nil watcher never reports.
func watch(ctx *fasthttp.RequestCtx) *watcher {
	sc, ok := ctx.Conn().(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	// fasthttp's read deadline for this request would end the watch early;
	// fasthttp sets its own again before it reads the next request.
	if err := ctx.SetReadDeadline(time.Time{}); err != nil {
		return nil
	}
	w := &watcher{ctx: ctx, gone: make(chan struct{}), done: make(chan struct{})}
	go w.run(rc)
	return w
}

func (w *watcher) run(rc syscall.RawConn) {
	defer close(w.done)
	var buf [1]byte
	hungUp := false
	// RawConn.Read calls the function again each time the poller reports
	// the socket readable, and gives up when the read deadline passes,
	// which is how stop ends the watch.
	_ = rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
				return false // nothing to read: wait for the poller
			case err != nil || n == 0:
				hungUp = true
			}
			return true
		}
	})
	if hungUp {
		close(w.gone)
	}
}

// Gone returns a channel closed when the client hangs up.
func (w *watcher) Gone() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.gone
}

// stop ends the watch and waits for its goroutine, so that nothing touches
// the connection once the handler returns.
func (w *watcher) stop() {
	if w == nil {
		return
	}
	_ = w.ctx.SetReadDeadline(time.Now())
	<-w.done
	_ = w.ctx.SetReadDeadline(time.Time{})
}
