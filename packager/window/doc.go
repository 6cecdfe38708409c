// Package window holds a live stream's recent CMAF objects in RAM: per track,
// a sliding window of segments, each made of parts, each made of chunks
// (moof+mdat). A segment's bytes are one append-only buffer, so a part is a
// byte range of its segment and readers share the same immutable bytes.
//
// One writer appends chunks (the packager at the origin, the feed receiver at
// an edge); any number of readers follow along and are woken, without
// polling, through the channel returned by Stream.Changed.
package window
