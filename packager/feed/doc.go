// Package feed replicates a stream's RAM window (package window) from a
// parent server to a child over one long-lived byte stream, typically a
// chunked HTTP response to GET /feed/{stream}.
//
// A feed starts with a header (the magic "LTFD", a version byte and the
// stream's window.Config) followed by frames, each [type u8][len u32][payload]
// with big-endian length:
//
//	Init        track id, epoch, TrackInfo, then the init segment's bytes
//	Chunk       track id, segment number, chunk index in the segment,
//	            window.ChunkMeta, then the chunk's bytes (prft+moof+mdat)
//	SegmentEnd  track id, segment number: the segment is complete
//	End         the stream is over
//	Heartbeat   nothing happened; sent when the feed is otherwise idle so a
//	            child can tell a live but quiet parent from a stalled one
//	Live        the catch-up is over: the child's window now reaches as far
//	            as the parent's, and what follows is live
//
// Integers in payloads are unsigned varints (the wall clock is a signed
// varint of Unix nanoseconds) and strings carry a one-byte length.
//
// The Writer sends a catch-up of the window from a resume position, then
// follows the window as it changes. The Reader applies frames to a local
// window through the same calls the packager makes at the origin, so the
// child's objects are byte-identical to the parent's. A child that loses its
// parent reconnects to another with the position ResumeFrom gives; the
// Reader skips the chunks it already holds, so the window neither repeats
// nor misses a chunk.
package feed
