// Package usher is the server that sends each viewer to the best edge for a
// live stream and tells edges whom to pull each stream from.
//
// State lives in Redis so that several usher instances can share it: edges
// heartbeat into it, ingest servers register their streams in it,
// operators turn the placement dials in it, and one elected instance
// publishes the replication trees to it. Each instance refreshes a local,
// immutable placement.Snapshot from Redis every few hundred milliseconds, so
// a viewer's redirect costs no Redis round trip, and keeps redirecting from
// its last good snapshot while Redis is away.
//
// The Redis keys are listed in keys.go.
package usher
