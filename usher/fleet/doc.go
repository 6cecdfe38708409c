// Package fleet is the client side of usher for the servers it directs:
// edges report their load with a Heartbeater and learn whom to pull a
// stream from with a ParentPicker; ingest servers announce the streams they
// originate with an OriginRegistrar and check publishers' stream keys with
// a KeyChecker backed by usher's Redis.
//
// The JSON types in wire.go are the protocol itself; the usher server
// decodes the same types, so the two sides cannot drift apart.
package fleet
