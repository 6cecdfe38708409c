// Package dash renders a stream's RAM window (package window) as a
// low-latency DASH MPD: a dynamic manifest with one Period per publish,
// SegmentTemplate addressing by $Number$ with a SegmentTimeline (or, when
// the client asks and segments are regular, SegmentTemplate@duration at the
// live edge), chunked
// availability (availabilityTimeOffset, availabilityTimeComplete=false), a
// ServiceDescription latency target and a ProducerReferenceTime that ties
// media time to the ingest wall clock, as the DASH-IF low-latency
// guidelines and dash.js's low-latency mode expect.
//
// The MPD timeline is anchored at the Unix epoch (availabilityStartTime
// 1970-01-01T00:00:00Z): a Period starts at the ingest wall-clock time of
// its publish's first sample, so a segment becomes available when its
// first chunk was ingested. A Renderer remembers each Period's anchor, so
// that a Period keeps its start after its first segments leave the window.
package dash
