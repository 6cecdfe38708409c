// Package play load-tests playback: it runs many simulated viewers of
// one or more live streams, each behaving like a real low-latency player,
// and measures what they experience.
//
// A viewer starts at usher (following its 302 like a browser) or at an
// edge or origin URL, then plays with one of three clients:
//
//   - LL-HLS: blocking playlist reloads with _HLS_msn/_HLS_part, the
//     preload-hinted part requested as soon as the hint is known, so the
//     server holds it and streams it while it is written;
//   - LL-DASH: the segment being written fetched with chunked transfer
//     (SegmentTemplate numbers from the MPD), the next one requested as the
//     previous completes;
//   - segments: plain HLS, whole segments only.
//
// Each viewer keeps a model of a player's playback buffer (Buffer): play
// starts once enough media is buffered, the media is consumed in real
// time, and an empty buffer is a stall. Latency behind live is the time
// since the ingest stamped the newest complete part received, read from
// the prft box that starts every CMAF chunk.
//
// The generator is built to be cheap, so that one machine can stand in
// for many thousands of viewers: each viewer's rendition owns one
// keep-alive connection on which it pipelines its requests (the hinted
// part, then the blocking reload that names it, as an HTTP/2 player
// multiplexes them on one connection); on Linux a few event loops read
// every socket and frame the responses as they arrive, so a viewer's
// goroutine wakes once per response rather than once per chunk; media
// bodies are scanned box by box and never kept, and playlists and
// manifests are parsed once per distinct body and shared by every viewer
// that receives the same bytes. The generator measures its own CPU time
// so a run can tell when it, rather than the server, was the bottleneck.
package play
