package placement

// Ledger counts the viewers redirected since a snapshot was taken, so a
// burst of decisions between two refreshes cannot overfill an edge: each
// reservation adds the stream's bitrate to the chosen edge's projected
// egress, and an edge that starts a stream ranks as carrying it for the
// next viewers of that stream. An edge that starts a stream also costs its
// parent one bitrate of egress to feed it; the ledger charges that to the
// parent the parent rule gives (see Choose and Upstream).
//
// A Ledger also steers each stream's planned overflow share of new viewers
// to the overflow CDN (see Input.Overflow and Dials.SteerOverflow).
//
// A Ledger is plain caller-owned data and is not safe for concurrent use;
// see the package comment for serialising or sharding it. Call Reset with
// each new snapshot, whose measured egress then includes those viewers.
type Ledger struct {
	s        *Snapshot
	shards   float64
	reserved []float64              // Mbps reserved per edge index
	started  map[*streamRow][]start // edges that began a stream since Reset
	steer    []steerState           // per stream row id
	resets   uint64                 // Resets so far; seeds the steering phase
	count    int                    // reservations since Reset
}

// start is an edge that began pulling a stream since Reset, and the
// parent charged for feeding it (an edge index or parentOrigin).
type start struct {
	edge, parent int32
	// carrying is set for an edge the snapshot already shows carrying the
	// stream that was given a new parent.
	carrying bool
}

// steerState is one stream's steering accumulator; it restarts at a
// phase drawn from the stream and the reset count whenever epoch is stale.
type steerState struct {
	epoch uint64
	acc   float64
}

// NewLedger returns an empty ledger over s. With shards > 1 the ledger is
// one of that many independent shards and claims only its 1/shards share
// of each edge's free room.
func NewLedger(s *Snapshot, shards int) *Ledger {
	if shards < 1 {
		shards = 1
	}
	l := &Ledger{shards: float64(shards), started: make(map[*streamRow][]start)}
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
	if n := len(s.streamNames); cap(l.steer) >= n {
		l.steer = l.steer[:n]
	} else {
		l.steer = make([]steerState, n)
	}
	clear(l.started)
	l.count = 0
	l.resets++
}

// Snapshot returns the snapshot the ledger counts against.
func (l *Ledger) Snapshot() *Snapshot { return l.s }

// Count returns the number of viewer reservations since Reset.
func (l *Ledger) Count() int { return l.count }

// Choose decides like the package-level Choose, counting every earlier
// reservation, and reserves the stream's bitrate on the best edge and,
// when that edge opens a new upstream, on the parent that will feed it.
// Before ranking, it sends the stream's planned overflow share of viewers
// to the overflow CDN (ReasonPlannedOverflow).
func (l *Ledger) Choose(r Request) Decision {
	d := l.s.choose(r, l)
	if best, ok := d.Best(); ok {
		par := parentNone
		if !best.Carrying {
			par = parentOrigin
			if best.Parent != nil {
				par = l.s.byID[best.Parent.ID]
			}
		}
		l.reserve(l.s.streams[r.Stream], best.idx, par)
	}
	return d
}

// Reserve records one viewer of stream sent to edgeID by other means, for
// instance a client retrying its second pick; an edge that does not carry
// the stream yet also has its parent's feed charged. It reports false when
// the edge or stream is unknown.
func (l *Ledger) Reserve(edgeID, stream string) bool {
	i, ok := l.s.byID[edgeID]
	st := l.s.streams[stream]
	if !ok || st == nil {
		return false
	}
	par := parentNone
	if !st.carriedBy(i) && startedAt(l.started[st], i) < 0 {
		var ps parents
		l.s.findParents(st, l, unixNano(l.s.taken), -1, &ps)
		par = ps.of(l.s.rows[i].dc)
	}
	l.reserve(st, i, par)
	return true
}

// ReservedMbps returns the egress reserved on an edge since Reset.
func (l *Ledger) ReservedMbps(edgeID string) float64 {
	if i, ok := l.s.byID[edgeID]; ok {
		return l.reserved[i]
	}
	return 0
}

// reserve counts one viewer of st on edge i; par is the parent charged
// when i starts the stream now, parentNone when it carries it already.
func (l *Ledger) reserve(st *streamRow, i, par int32) {
	l.reserved[i] += st.origin.BitrateMbps
	l.count++
	if par != parentNone && !st.carriedBy(i) && startedAt(l.started[st], i) < 0 {
		l.startUpstream(st, i, par, false)
	}
}

// startUpstream records that edge i pulls st from par and charges the feed
// to par.
func (l *Ledger) startUpstream(st *streamRow, i, par int32, carrying bool) {
	if par >= 0 {
		l.reserved[par] += st.origin.BitrateMbps
	}
	l.started[st] = append(l.started[st], start{edge: i, parent: par, carrying: carrying})
}

// steered reports whether the next new viewer of st goes to the overflow
// CDN: of every viewer, the accumulator gains the stream's share and a
// viewer is steered each time it passes a whole one, so exactly that share
// of viewers is steered over time. Starting each reset at a phase drawn
// from the stream and the reset count keeps a stream with few viewers per
// reset from never (or always) being steered.
func (l *Ledger) steered(st *streamRow) bool {
	ss := &l.steer[st.id]
	if ss.epoch != l.resets {
		ss.epoch = l.resets
		ss.acc = float64(mix(st.hash^l.resets*0x9e3779b97f4a7c15)>>11) / (1 << 53)
	}
	ss.acc += st.overflow
	if ss.acc >= 1 {
		ss.acc--
		return true
	}
	return false
}

// startedAt returns the position of edge i in list, or -1.
func startedAt(list []start, i int32) int {
	for k := range list {
		if list[k].edge == i {
			return k
		}
	}
	return -1
}
