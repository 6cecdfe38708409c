//go:build !linux

package delivery

import (
	"errors"
	"net"
)

// FastListener is Linux's only: off it, serve Listener(l) instead.
func (h *Handler) FastListener(net.Listener, Admit) (FastListener, error) {
	return nil, errors.New("delivery: the fast path needs Linux")
}
