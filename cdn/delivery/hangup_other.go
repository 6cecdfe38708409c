//go:build !linux

package delivery

import "net"

// hangups would tell waiting handlers that their clients hung up; on this
// platform it cannot, and waits end by their time limit.
type hangups struct{}

func newHangups() (*hangups, error) { return nil, nil }

func (p *hangups) close() {}

func (p *hangups) watching() int { return 0 }

// hangup is a waiting request's registration; on this platform, none.
type hangup struct{}

func (p *hangups) watch(net.Conn) *hangup { return nil }

// Gone returns nil: a hang-up is never reported.
func (w *hangup) Gone() <-chan struct{} { return nil }

func (w *hangup) stop() {}
