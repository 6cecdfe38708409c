package usher

import (
	"context"
	"maps"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetree/livetree/usher/placement"
)

const (
	// treeTTL is how long a published tree outlives its planner.
	treeTTL = 30 * time.Second
	// cleanupEvery is how often the planner prunes the seen-indexes.
	cleanupEvery = 10 * time.Second
	// surgeFactor and surgeMin define an arrival surge that triggers a
	// plan before PlanInterval: velocity above surgeFactor × the planned
	// velocity + surgeMin viewers/s.
	surgeFactor = 1.5
	surgeMin    = 2.0
)

// claimScript takes the planner lease when it is free and extends it when
// this instance holds it; it returns 1 when the caller holds the lease.
var claimScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// releaseScript gives the lease up if this instance holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// publisher is the planner goroutine's memory of what it wrote to Redis.
type publisher struct {
	trees       map[string]map[string]string // stream → edge ID → parent URL, as in Redis
	encoded     string                       // keyTrees as last written
	lastTTL     time.Time                    // last full rewrite
	lastCleanup time.Time
	lastPlan    time.Time
	velocity    map[string]float64 // streams' velocity at the last plan
	lastClaim   time.Time
}

// runPlanner plans the replication trees while this instance holds the
// planner lease: every PlanInterval, and right after a refresh that shows
// an arrival surge.
func (s *Server) runPlanner(ctx context.Context) {
	t := time.NewTicker(s.cfg.PlanInterval)
	defer t.Stop()
	for {
		periodic := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			periodic = true
		case <-s.planKick:
		}
		now := time.Now()
		if periodic || now.Sub(s.pub.lastClaim) >= s.cfg.PlanInterval/2 {
			s.claim(ctx, now)
		}
		if periodic {
			snap := s.view.Load().snap
			s.tokens.forget(func(stream string) bool { _, _, ok := snap.Stream(stream); return ok })
		}
		if !s.st.leader.Load() {
			continue
		}
		v := s.view.Load()
		if !periodic && !s.surge(v.snap) && now.Sub(s.pub.lastPlan) < s.cfg.PlanInterval {
			continue
		}
		s.plan(ctx, v.snap, now)
	}
}

// claim takes or extends the planner lease. While Redis is away the
// instance keeps the role it had, planning on its last snapshot.
func (s *Server) claim(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	s.pub.lastClaim = now
	lease := 3 * s.cfg.PlanInterval
	n, err := claimScript.Run(ctx, s.rdb, []string{keyPlanner}, s.cfg.InstanceID, lease.Milliseconds()).Int()
	if err != nil {
		return
	}
	leader := n == 1
	if was := s.st.leader.Swap(leader); was != leader {
		s.log.Info().Bool("leader", leader).Msg("planner role changed")
		s.pub = publisher{lastClaim: now}
	}
}

// resign gives up the lease so another instance takes over at once.
func (s *Server) resign(ctx context.Context) {
	if s.st.leader.Load() {
		_ = releaseScript.Run(ctx, s.rdb, []string{keyPlanner}, s.cfg.InstanceID).Err()
	}
}

// surge reports whether any stream's arrival velocity jumped since the
// last plan.
func (s *Server) surge(snap *placement.Snapshot) bool {
	for _, name := range snap.Streams() {
		_, d, _ := snap.Stream(name)
		if d.Velocity > surgeFactor*s.pub.velocity[name]+surgeMin {
			return true
		}
	}
	return false
}

// plan runs PlanAll, makes the result the trees in force and publishes it.
func (s *Server) plan(ctx context.Context, snap *placement.Snapshot, now time.Time) {
	plans := placement.PlanAll(snap, snap.Taken())
	s.st.plans.Add(1)
	s.pub.lastPlan = now
	s.pub.velocity = make(map[string]float64, len(plans))
	for _, name := range snap.Streams() {
		_, d, _ := snap.Stream(name)
		s.pub.velocity[name] = d.Velocity
	}
	ts := treesFromPlans(plans)
	s.trees.Store(ts)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.publish(pctx, ts, now); err != nil {
		s.log.Debug().Err(err).Msg("publishing trees failed; retrying at the next plan")
	}
}

// publish writes the trees that changed to their tree:{stream} hashes and
// the whole set to keyTrees for the other instances. Every treeTTL/3, and
// after a failure, it rewrites everything, which both renews the TTLs and
// restores what a restarted Redis lost.
func (s *Server) publish(ctx context.Context, ts *treeSet, now time.Time) error {
	full := s.pub.trees == nil || now.Sub(s.pub.lastTTL) >= treeTTL/3
	pipe := s.rdb.Pipeline()
	next := make(map[string]map[string]string, len(ts.streams))
	changed := 0
	for stream, t := range ts.streams {
		m := t.parents()
		next[stream] = m
		if old, ok := s.pub.trees[stream]; ok && !full && maps.Equal(old, m) {
			continue
		}
		changed++
		key := treeKey(stream)
		args := make([]any, 0, 2*len(m))
		for id, parent := range m {
			args = append(args, id, parent)
		}
		pipe.Del(ctx, key)
		pipe.HSet(ctx, key, args...)
		pipe.PExpire(ctx, key, treeTTL)
	}
	for stream := range s.pub.trees {
		if _, ok := next[stream]; !ok {
			changed++
			pipe.Del(ctx, treeKey(stream))
		}
	}
	enc := ts.encode()
	if full || enc != s.pub.encoded {
		pipe.Set(ctx, keyTrees, enc, treeTTL)
		pipe.Incr(ctx, keyTreesGen)
	}
	cleanup := now.Sub(s.pub.lastCleanup) >= cleanupEvery
	if cleanup {
		old := strconv.FormatInt(now.Add(-recordTTL).UnixMilli(), 10)
		pipe.ZRemRangeByScore(ctx, keyEdgesSeen, "-inf", old)
		pipe.ZRemRangeByScore(ctx, keyOriginsSeen, "-inf", old)
	}
	if pipe.Len() == 0 {
		return nil
	}
	if err := execPipe(ctx, pipe); err != nil {
		s.pub.trees, s.pub.encoded = nil, ""
		return err
	}
	s.pub.trees, s.pub.encoded = next, enc
	s.st.treeWrites.Add(uint64(changed))
	if full {
		s.pub.lastTTL = now
	}
	if cleanup {
		s.pub.lastCleanup = now
	}
	return nil
}
