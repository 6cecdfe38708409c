package placement

// Ledger counts the viewers redirected since a snapshot was taken, so a
// burst of decisions between two refreshes cannot overfill an edge: each
// reservation adds the stream's bitrate to the chosen edge's projected
// egress, and an edge that starts a stream ranks as carrying it for the
// next viewers of that stream.
//
// A Ledger is plain caller-owned data and is not safe for concurrent use;
// see the package comment for serialising or sharding it. Call Reset with
// each new snapshot, whose measured egress then includes those viewers.
type Ledger struct {
	s        *Snapshot
	shards   float64
	reserved []float64              // Mbps reserved per edge index
	started  map[*streamRow][]int32 // edges that began a stream since Reset
	count    int                    // reservations since Reset
}

// NewLedger returns an empty ledger over s. With shards > 1 the ledger is
// one of that many independent shards and claims only its 1/shards share
// of each edge's free room.
func NewLedger(s *Snapshot, shards int) *Ledger {
	if shards < 1 {
		shards = 1
	}
	l := &Ledger{shards: float64(shards), started: make(map[*streamRow][]int32)}
	l.Reset(s)
	return l
}

// Reset forgets every reservation and switches to snapshot s, reusing the
// ledger's memory.
func (l *Ledger) Reset(s *Snapshot) {
	l.s = s
	if cap(l.reserved) >= len(s.rows) {
		l.reserved = l.reserved[:len(s.rows)]
		clear(l.reserved)
	} else {
		l.reserved = make([]float64, len(s.rows))
	}
	clear(l.started)
	l.count = 0
}

// Snapshot returns the snapshot the ledger counts against.
func (l *Ledger) Snapshot() *Snapshot { return l.s }

// Count returns the number of reservations since Reset.
func (l *Ledger) Count() int { return l.count }

// Choose decides like the package-level Choose, counting every earlier
// reservation, and reserves the stream's bitrate on the best edge.
func (l *Ledger) Choose(r Request) Decision {
	d := l.s.choose(r, l)
	if best, ok := d.Best(); ok {
		l.reserve(l.s.streams[r.Stream], best.idx)
	}
	return d
}

// Reserve records one viewer of stream sent to edgeID by other means, for
// instance a client retrying its second pick. It reports false when the
// edge or stream is unknown.
func (l *Ledger) Reserve(edgeID, stream string) bool {
	i, ok := l.s.byID[edgeID]
	st := l.s.streams[stream]
	if !ok || st == nil {
		return false
	}
	l.reserve(st, i)
	return true
}

// ReservedMbps returns the egress reserved on an edge since Reset.
func (l *Ledger) ReservedMbps(edgeID string) float64 {
	if i, ok := l.s.byID[edgeID]; ok {
		return l.reserved[i]
	}
	return 0
}

func (l *Ledger) reserve(st *streamRow, i int32) {
	l.reserved[i] += st.origin.BitrateMbps
	l.count++
	if !st.carriedBy(i) && !contains(l.started[st], i) {
		l.started[st] = append(l.started[st], i)
	}
}
