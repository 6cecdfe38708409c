package cdn

import (
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// janitorTick is how often the janitor looks at the edge.
const janitorTick = 250 * time.Millisecond

// janitor drops idle, ended and over-budget streams, measures egress, and
// ends a drain, until the edge closes.
func (e *Edge) janitor() {
	t := time.NewTicker(janitorTick)
	defer t.Stop()
	lastBytes, lastAt := e.egressBytes(), time.Now()
	for {
		select {
		case <-e.ctx.Done():
			return
		case now := <-t.C:
			if d := now.Sub(lastAt); d >= time.Second {
				b := e.egressBytes()
				mbps := float64(b-lastBytes) * 8 / 1e6 / d.Seconds()
				e.stats.egressMbps.Store(math.Float64bits(mbps))
				lastBytes, lastAt = b, now
				// Sweeping forgets clients that left, whether or not
				// anyone asks for the load.
				e.viewers.counts(now.Add(-e.cfg.ViewerWindow))
			}
			e.dropIdle(now)
			e.capRAM()
			e.checkDrain(now)
		}
	}
}

// dropIdle drops streams nobody asked for within the idle timeout and that
// feed no child edge, and streams that ended more than EndedLinger ago.
func (e *Edge) dropIdle(now time.Time) {
	var idle, ended []*pull
	e.mu.RLock()
	for _, p := range e.pulls {
		if at := p.endedAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) > e.cfg.EndedLinger {
			ended = append(ended, p)
		} else if p.children.Load() == 0 && now.Sub(p.lastUsed()) > e.cfg.IdleTimeout {
			idle = append(idle, p)
		}
	}
	e.mu.RUnlock()
	for _, p := range idle {
		// Look again under the write lock: a request may have touched it.
		if e.forgetIf(p, &e.stats.DroppedIdle, func() bool { return p.children.Load() == 0 && now.Sub(p.lastUsed()) > e.cfg.IdleTimeout }) {
			e.log.Info().Str("stream", p.name).Msg("dropped idle stream")
		}
	}
	for _, p := range ended {
		e.forgetIf(p, &e.stats.DroppedEnded, func() bool { return true })
	}
}

// forgetIf forgets p if it is still the stream's pull and cond holds under
// the lock that requests touch it under, and counts the drop in dropped
// under that lock too, so whoever sees the stream gone sees it counted.
func (e *Edge) forgetIf(p *pull, dropped *atomic.Uint64, cond func() bool) bool {
	e.mu.Lock()
	ok := e.pulls[p.name] == p && cond()
	if ok {
		dropped.Add(1)
		e.unlist(p)
	}
	e.mu.Unlock()
	if ok {
		p.cancel()
	}
	return ok
}

// capRAM drops the least recently watched streams while the media held is
// over MaxRAM. It keeps the most recently watched stream whatever its size,
// as dropping it would only have it pulled again at once.
func (e *Edge) capRAM() {
	if e.cfg.MaxRAM <= 0 {
		return
	}
	total := e.streams.Bytes()
	if total <= e.cfg.MaxRAM {
		return
	}
	e.mu.RLock()
	pulls := make([]*pull, 0, len(e.pulls))
	for _, p := range e.pulls {
		pulls = append(pulls, p)
	}
	e.mu.RUnlock()
	used := make(map[*pull]time.Time, len(pulls))
	for _, p := range pulls {
		used[p] = p.lastUsed()
	}
	sort.Slice(pulls, func(i, j int) bool { return used[pulls[i]].Before(used[pulls[j]]) })
	for _, p := range pulls[:max(len(pulls)-1, 0)] {
		if total <= e.cfg.MaxRAM {
			return
		}
		var held int64
		if st := p.st.Load(); st != nil {
			held = st.Bytes()
		}
		if e.forgetIf(p, &e.stats.DroppedRAM, func() bool { return true }) {
			total -= held
			e.log.Warn().Str("stream", p.name).Int64("bytes", held).Int64("cap", e.cfg.MaxRAM).
				Msg("dropped least recently watched stream over the RAM cap")
		}
	}
}

// checkDrain ends a drain once no viewer has asked for anything within
// the viewer window, no child edge is fed and no object is being streamed,
// or once the drain timeout has passed.
func (e *Edge) checkDrain(now time.Time) {
	if !e.draining.Load() {
		return
	}
	select {
	case <-e.drained:
		return
	default:
	}
	timedOut := now.Sub(time.Unix(0, e.drainAt.Load())) > e.cfg.DrainTimeout
	idle := len(e.viewers.counts(now.Add(-e.cfg.ViewerWindow))) == 0 &&
		e.feedStats.Open.Load() == 0 && e.delivery.Stats().Streaming.Load() == 0
	if timedOut || idle {
		e.log.Info().Bool("timed_out", timedOut).Msg("drain over")
		close(e.drained)
	}
}
