// Package hls renders a stream's RAM window (package window) as Low-Latency
// HLS playlists (RFC 8216bis): a multivariant playlist and one media
// playlist per track, with partial segments, preload hints, blocking
// playlist reload, delta updates and rendition reports.
//
// Rendering is pure: it reads the window and returns bytes. The HTTP edge
// decides, with Check, whether a blocking request can be answered now, and
// waits on window.Stream.Changed otherwise.
package hls
