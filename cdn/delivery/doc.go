// Package delivery is the HTTP face of a RAM window (package window): a
// fasthttp handler that serves LL-HLS playlists, LL-DASH manifests, init
// segments, segments and parts under /live/{stream}/, and the server's
// clock at /time. The origin mounts it over the packager's window; edges
// mount the same handler over the window their feed fills.
//
// Nothing is copied on the hot path: a complete object is the window's own
// immutable bytes, and an object still being written is streamed with
// chunked transfer as the writer appends it. Requests for media that is not
// there yet (blocking playlist reloads, the preload-hinted part) wait,
// without polling, on the stream's change channel through one watcher
// goroutine per stream, and a client that hangs up frees its waiter at once.
package delivery
