// Package placement is usher's decision core: it picks the edges a viewer is
// redirected to and plans each live stream's replication tree.
//
// Everything here is a pure function of a Snapshot (edges, origins, demand,
// latency and peering tables, dials) and an injected time. There are no
// goroutines, no clocks, no I/O and no package state, so the same code runs
// in the usher server and inside a fleet simulator on a virtual clock, and
// every result, ties included, is deterministic.
//
// A Snapshot is immutable once built and may be shared by any number of
// goroutines calling Choose and Plan. A Ledger is not: it is caller-owned
// scratch that counts the viewers already redirected since the snapshot was
// taken. A server either serialises access to one Ledger (a mutex around
// Ledger.Choose costs far less than the decision itself) or gives each shard
// its own Ledger built with NewLedger(s, shards), which lets every shard fill
// only its 1/shards part of each edge's free room, so the shards together can
// never overfill an edge.
//
// Decisions and plans meet twice. An edge a viewer is sent to that does not
// carry the stream yet pulls it from the parent the parent rule gives (see
// Choose and Ledger.Upstream), and the Ledger charges that feed to the
// parent as it charges the viewer to the edge, so no edge is ever projected
// past Headroom. And the share of a stream's new viewers that its planned
// tree cannot take (TreePlan.ArrivalOverflowShare), handed back to the next
// snapshots in Input.Overflow, is what a Ledger steers to the overflow CDN,
// so a stream the fleet cannot hold leaves the room planned for the others.
package placement
