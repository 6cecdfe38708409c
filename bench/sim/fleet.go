package sim

// Viewers are counted, not modelled one by one: a stream's audience is a
// count per edge that carries it (a hold) plus a count on the overflow
// CDN, and each edge's egress is the sum of its holds' viewers and the
// feeds to its children, times the stream's bitrate, in kbps so the
// bookkeeping is exact.

// hold is one edge carrying one stream.
type hold struct {
	edge   int32
	parent int32 // an edge index, or origin
	// viewers are served by this edge; peered of them come through an
	// ISP that peers with the edge's datacenter.
	viewers, peered int32
	// kids counts the edges pulling from this one, planned or not;
	// plannedKids only those of the last plan, which is what usher counts
	// when it picks a parent for an edge outside the plan.
	kids, plannedKids int32
	planned           bool
}

// origin is the parent of an edge that pulls from the stream's origin.
const origin int32 = -1

// stream is the changing state of one stream.
type stream struct {
	viewers  int32 // demand: served plus overflow
	overflow int32
	// holds lists the planned edges in plan order (depth, then ID),
	// followed by edges that started the stream since.
	holds []hold
	pos   []int16 // edge → index in holds, -1 if none; nil until the first hold

	// Recent arrivals, per second, as usher counts them for demand: ring
	// slots hold the second they count and the arrivals, in total and per
	// region (regions values per slot in the world's slab).
	ringSec [ring]int64
	ringArr [ring]int32

	dirty     bool    // audience or tree changed since the last plan
	lastPlan  int64   // tick of the last plan
	planCap   float64 // viewer Mbps the last plan's tree offers
	planShort float64 // Mbps of demand the last plan could not place: the fleet was full
	migrants  int32   // viewers waiting to be placed again
	originAdd int32   // edges that started the stream on the origin since the last plan
}

// ring is the number of seconds of arrivals kept per stream: usher's
// viewer window (10 s) counts them all, its velocity window the last 5.
const (
	ring          = 10
	velocityWin   = 5
	regionUnknown = -1
)

func (st *stream) ensurePos(edges int) {
	if st.pos == nil {
		st.pos = make([]int16, edges)
		for i := range st.pos {
			st.pos[i] = -1
		}
	}
}

// fleet is the state of edges and streams with the running totals the
// metrics read.
type fleet struct {
	w       *world
	streams []stream
	egress  []int64 // kbps per edge
	dcEg    []int64 // kbps per datacenter
	total   fenwick // viewers per stream

	viewers  int64 // all viewers
	served   int64 // kbps of viewer traffic from edges
	peered   int64 // kbps of it to peered ISPs
	relay    int64 // kbps of edge-to-edge feeds
	interDC  int64 // kbps of feeds that cross datacenters
	overflow int64 // kbps on the overflow CDN
	transit  []int64
}

func newFleet(w *world) *fleet {
	return &fleet{
		w:       w,
		streams: make([]stream, len(w.streams)),
		egress:  make([]int64, len(w.edgeIDs)),
		dcEg:    make([]int64, len(w.dcs)),
		transit: make([]int64, len(w.dcs)),
		total:   newFenwick(len(w.streams)),
	}
}

func (f *fleet) addEgress(e int32, d int64) {
	f.egress[e] += d
	f.dcEg[f.w.edgeDC[e]] += d
}

// serve changes hold h of stream k by n viewers, peered of them peered.
func (f *fleet) serve(k int32, h *hold, n, peered int32) {
	kbps := f.w.streams[k].kbps
	h.viewers += n
	h.peered += peered
	f.addEgress(h.edge, int64(n)*kbps)
	f.served += int64(n) * kbps
	f.peered += int64(peered) * kbps
	f.transit[f.w.edgeDC[h.edge]] += int64(n-peered) * kbps
}

// feed adds (sign 1) or removes (sign -1) the feed of child from its
// parent.
func (f *fleet) feed(k int32, h *hold, sign int64) {
	if h.parent == origin {
		return
	}
	kbps := f.w.streams[k].kbps
	f.addEgress(h.parent, sign*kbps)
	f.relay += sign * kbps
	if f.w.edgeDC[h.parent] != f.w.edgeDC[h.edge] {
		f.interDC += sign * kbps
	}
}

// count changes stream k's demand by n viewers.
func (f *fleet) count(k int32, n int32) {
	f.streams[k].viewers += n
	f.viewers += int64(n)
	f.total.add(k, int64(n))
}

// overflowed sends n of stream k's viewers to (or, negative, takes them
// from) the overflow CDN.
func (f *fleet) overflowed(k int32, n int32) {
	f.streams[k].overflow += n
	f.overflow += int64(n) * f.w.streams[k].kbps
}

// holdOn returns stream k's hold on edge e, or nil.
func (f *fleet) holdOn(k, e int32) *hold {
	st := &f.streams[k]
	if st.pos == nil || st.pos[e] < 0 {
		return nil
	}
	return &st.holds[st.pos[e]]
}

// depart removes n uniformly chosen viewers of stream k, wherever they
// are: on the overflow CDN or on one of its edges, peered or not.
func (f *fleet) depart(k int32, n int32, u func(n int64) int64) {
	st := &f.streams[k]
	n = min(n, st.viewers)
	for ; n > 0; n-- {
		x := int32(u(int64(st.viewers)))
		f.count(k, -1)
		if x < st.overflow {
			f.overflowed(k, -1)
			continue
		}
		x -= st.overflow
		for i := range st.holds {
			h := &st.holds[i]
			if x >= h.viewers {
				x -= h.viewers
				continue
			}
			var p int32
			if x < h.peered {
				p = 1
			}
			f.serve(k, h, -1, -p)
			break
		}
	}
	st.dirty = true
}
