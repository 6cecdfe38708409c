//go:build !(linux || darwin || freebsd)

package delivery

import "github.com/valyala/fasthttp"

// watcher would tell a waiting handler that its client hung up; on this
// platform it cannot, and waits end by their time limit.
type watcher struct{}

func watch(*fasthttp.RequestCtx) *watcher { return nil }

// Gone returns nil: a hang-up is never reported.
func (w *watcher) Gone() <-chan struct{} { return nil }

func (w *watcher) stop() {}
