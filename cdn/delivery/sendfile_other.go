//go:build !linux

package delivery

import (
	"syscall"

	"github.com/livetree/livetree/packager/window"
)

const canSendFile = false

func sendFile(syscall.RawConn, *window.Segment, int, int) (int, error) { return 0, window.ErrNoFile }

func cork(syscall.RawConn, bool) {}
