package push

import (
	"context"
	"errors"
	"net"
	"strings"
)

var (
	// ErrConfig reports an unusable RunConfig.
	ErrConfig = errors.New("push: bad config")
	// ErrMetrics reports an ingest /metrics that could not be read.
	ErrMetrics = errors.New("push: ingest metrics unavailable")
)

// classOf names the class of a publisher's error, for the error table.
func classOf(err error) string {
	var oe *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &oe) && oe.Op == "dial":
		return "connect"
	case strings.Contains(err.Error(), "ingest answered"):
		return "refused"
	case strings.Contains(err.Error(), "connecting"):
		return "connect"
	case strings.Contains(err.Error(), "starting publish"):
		return "refused"
	case strings.Contains(err.Error(), "writing frame"):
		return "write"
	}
	return "other"
}
