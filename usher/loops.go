package usher

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// runRefresh rebuilds the view from Redis every RefreshInterval.
func (s *Server) runRefresh(ctx context.Context) {
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, max(2*s.cfg.RefreshInterval, time.Second))
		err := s.refresh(rctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !errors.Is(err, errEmptyHeld) && !failing:
			failing = true
			s.log.Error().Err(err).Msg("redis reading failed; redirecting from the last good snapshot")
		case err == nil && failing:
			failing = false
			s.log.Info().Dur("snapshot_age", time.Since(time.Unix(0, s.st.lastGood.Load()))).Msg("redis reading recovered")
		}
	}
}

// refresh reads Redis once and installs a new view, unless the reading
// failed or is held back as suspiciously empty.
func (s *Server) refresh(ctx context.Context) error {
	now := time.Now()
	leader := s.st.leader.Load()
	res, err := s.ref.read(ctx, now, leader)
	if err != nil {
		s.st.redisUp.Store(false)
		s.st.refreshErrors.Add(1)
		return fmt.Errorf("%w: %w", ErrRedis, err)
	}
	s.st.redisUp.Store(true)
	s.ref.applyDials(res.dials)
	if res.trees != nil && !s.st.leader.Load() {
		s.trees.Store(res.trees)
		s.ref.treesGen = res.treesGen
	}
	if s.ref.suspiciousEmpty(now, s.view.Load(), res) {
		s.st.refreshErrors.Add(1)
		return errEmptyHeld
	}
	v, err := s.ref.build(now, res, s.trees.Load())
	if err != nil {
		s.st.refreshErrors.Add(1)
		return err
	}
	s.install(v)
	s.st.lastGood.Store(now.UnixNano())
	s.st.refreshes.Add(1)
	select {
	case s.planKick <- struct{}{}:
	default:
	}
	return nil
}

// install makes v the view requests are answered from and restarts the
// ledger on its snapshot, whose measured egress now includes the viewers
// the old ledger counted.
func (s *Server) install(v *view) {
	s.ledgerMu.Lock()
	s.ledger.Reset(v.snap)
	s.view.Store(v)
	s.ledgerMu.Unlock()
}

// runFlush writes counted arrivals to Redis every FlushInterval.
func (s *Server) runFlush(ctx context.Context) {
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fctx, cancel := context.WithTimeout(ctx, time.Second)
			s.flush(fctx)
			cancel()
		}
	}
}

// flush writes the pending arrivals; on failure they are kept for the next
// flush while they still fall within the demand windows.
func (s *Server) flush(ctx context.Context) {
	p := s.arrivals.take()
	if len(p) == 0 {
		return
	}
	if err := flushArrivals(ctx, s.rdb, p); err != nil {
		s.st.flushErrors.Add(1)
		oldest := time.Now().Add(-max(s.cfg.VelocityWindow, s.cfg.ViewerWindow)).Unix()
		s.arrivals.putBack(p, oldest)
	}
}

// runMiniClock advances the embedded miniredis clock so its keys expire:
// miniredis only ages keys when told to.
func (s *Server) runMiniClock(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mini.FastForward(now.Sub(last))
			last = now
		}
	}
}
