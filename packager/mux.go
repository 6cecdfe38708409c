package packager

import (
	"time"

	"github.com/livetree/livetree/packager/window"
)

// trackMuxer turns one track's samples into chunks, parts and segments in
// the window. Its numbering outlives sessions so a reconnect continues it.
type trackMuxer struct {
	kind      Kind
	track     *window.Track
	enc       *chunkEncoder
	timescale uint32
	segTarget uint64 // in timescale
	partLimit uint64 // in timescale
	perChunk  int    // frames per chunk, 0 for a whole part

	msn      uint64 // current segment's number
	part     int    // current part's index
	started  bool   // a segment was ever started
	open     bool   // a segment is open
	fresh    bool   // the open segment has no chunk yet
	partOpen bool   // the current part has chunks and is not complete
	segTicks uint64
	partTick uint64

	placed  bool   // a sample was added since the last restart
	last    uint64 // DTS of the last sample
	next    uint64 // expected DTS of the next sample
	delta   uint32 // expected duration of the next sample
	obsFrom uint64 // DTS where the current run of steady intervals began
	obsN    uint64 // intervals in that run
	shift   int64  // added to mapped decode times after a timestamp jump
	disc    bool   // the next segment starts a discontinuity

	pending []sample // samples of the chunk being gathered
	payload []byte   // their payloads, back to back
}

func newTrackMuxer(kind Kind, track *window.Track, timescale uint32, cfg Config) *trackMuxer {
	return &trackMuxer{
		kind:      kind,
		track:     track,
		enc:       newChunkEncoder(uint32(track.ID())),
		timescale: timescale,
		segTarget: toTicks(cfg.SegmentTarget, timescale),
		partLimit: toTicks(cfg.PartTarget, timescale),
		perChunk:  cfg.ChunkFrames,
	}
}

// restart prepares for a new publish: a new timescale, and a discontinuity
// on the first segment if anything came before.
func (m *trackMuxer) restart(timescale uint32, cfg Config) {
	m.timescale = timescale
	m.segTarget = toTicks(cfg.SegmentTarget, timescale)
	m.partLimit = toTicks(cfg.PartTarget, timescale)
	m.disc = m.started
	m.open, m.partOpen = false, false
	m.placed, m.last, m.next, m.delta, m.obsN, m.shift = false, 0, 0, 0, 0, 0
}

// end writes what is gathered and completes the open segment.
func (m *trackMuxer) end() error {
	err := m.flush(true)
	m.track.EndSegment()
	m.open, m.partOpen = false, false
	return err
}

// startSegment begins segment msn with s. It ends the previous segment.
func (m *trackMuxer) startSegment(msn uint64) error {
	if err := m.flush(true); err != nil {
		return err
	}
	m.msn, m.part = msn, 0
	m.started, m.open, m.partOpen, m.fresh = true, true, false, true
	m.segTicks, m.partTick = 0, 0
	return nil
}

// add appends s, whose payload is in p, to the open segment. est is the
// duration expected of the sample after it, to decide whether s ends its part.
func (m *trackMuxer) add(s sample, p []byte) error {
	if !m.partOpen {
		if m.segTicks > 0 || m.part > 0 {
			m.part++
		}
		m.partOpen = true
		m.partTick = 0
	}
	if len(m.pending) > 0 && m.pending[len(m.pending)-1].dts+uint64(m.pending[len(m.pending)-1].dur) != s.dts {
		// A gap or overlap inside a chunk would move later samples; start a
		// new chunk at the sample's own decode time instead.
		if err := m.flush(false); err != nil {
			return err
		}
	}
	m.pending = append(m.pending, s)
	m.payload = append(m.payload, p...)
	m.partTick += uint64(s.dur)
	m.segTicks += uint64(s.dur)
	m.placed, m.last, m.next = true, s.dts, s.dts+uint64(s.dur)
	endOfPart := m.partTick+uint64(s.dur) > m.partLimit
	if endOfPart || (m.perChunk > 0 && len(m.pending) >= m.perChunk) {
		return m.flush(endOfPart)
	}
	return nil
}

// flush writes the gathered samples as one chunk. endOfPart completes the part.
func (m *trackMuxer) flush(endOfPart bool) error {
	if len(m.pending) == 0 {
		return nil
	}
	data, err := m.enc.encode(m.pending, m.payload)
	if err != nil {
		return err
	}
	first := m.pending[0]
	var dur uint64
	for _, s := range m.pending {
		dur += uint64(s.dur)
	}
	meta := window.ChunkMeta{
		MSN:           m.msn,
		Part:          m.part,
		DTS:           first.dts,
		Duration:      uint32(dur),
		Wallclock:     first.wall,
		Independent:   first.sync,
		EndOfPart:     endOfPart,
		Discontinuity: m.disc && m.fresh,
	}
	if m.fresh {
		m.fresh, m.disc = false, false
	}
	m.pending, m.payload = m.pending[:0], m.payload[:0]
	if endOfPart {
		m.partOpen = false
	}
	return m.track.Append(meta, data)
}

// observe learns the sample duration from the interval d that ended at
// DTS now. Timestamps in milliseconds (RTMP, FLV) make a 30 fps stream's
// intervals alternate between 33 and 34 ms; the average over a steady run,
// snapped to a common frame rate, gives every sample the true 1/30 s, so
// parts hold the number of frames their target implies.
func (m *trackMuxer) observe(d uint32, now uint64) {
	if m.obsN == 0 || d > 2*m.delta || 2*d < m.delta {
		m.obsFrom, m.obsN = now-uint64(d), 0 // first interval, or the rate changed
	}
	m.obsN++
	m.delta = snapRate(uint32((now-m.obsFrom+m.obsN/2)/m.obsN), m.timescale)
}

// commonRates are frame rates, in frames per 1001 seconds, that a measured
// interval within 2% of them is snapped to.
var commonRates = []uint64{24000, 24024, 25025, 30000, 30030, 48048, 50050, 60000, 60060}

func snapRate(d uint32, timescale uint32) uint32 {
	best, bestDiff := d, int64(d)/50+1 // only within 2%
	for _, r := range commonRates {
		exact := uint64(timescale) * 1001 / r
		if exact*r != uint64(timescale)*1001 {
			continue // not a whole number of ticks at this timescale
		}
		if diff := abs(int64(d) - int64(exact)); diff < bestDiff {
			best, bestDiff = uint32(exact), diff
		}
	}
	return best
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func toTicks(d time.Duration, timescale uint32) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d) * uint64(timescale) / uint64(time.Second)
}

func fromTicks(n uint64, timescale uint32) time.Duration {
	return time.Duration(n * uint64(time.Second) / uint64(timescale))
}
