package cdn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/livetree/livetree/usher/fleet"
)

// usherPicker asks usher whom to pull a stream from, answering
// ErrNotFound for a stream usher knows no origin of.
type usherPicker struct{ p *fleet.ParentPicker }

func newUsherPicker(cfg Config) (usherPicker, error) {
	p, err := fleet.NewParentPicker(fleet.ParentPickerConfig{Ushers: cfg.Ushers, Token: cfg.FleetToken, EdgeID: cfg.ID})
	if err != nil {
		return usherPicker{}, err
	}
	return usherPicker{p}, nil
}

// Parent implements ParentPicker.
func (u usherPicker) Parent(ctx context.Context, stream string) (string, error) {
	parent, err := u.p.Parent(ctx, stream)
	if errors.Is(err, fleet.ErrUnknownStream) {
		return "", fmt.Errorf("%w: usher knows no origin of %s", ErrNotFound, stream)
	}
	return parent, err
}

// newHeartbeater returns the heartbeater reporting to usher, or nil when
// the edge has no usher. addr is the listener's, for a default public URL.
func (e *Edge) newHeartbeater(addr net.Addr) (*fleet.Heartbeater, error) {
	if len(e.cfg.Ushers) == 0 {
		return nil, nil
	}
	public := e.cfg.PublicURL
	if public == "" {
		public = "http://" + addr.String()
	}
	return fleet.NewHeartbeater(fleet.HeartbeaterConfig{
		Ushers:   e.cfg.Ushers,
		Token:    e.cfg.FleetToken,
		Interval: e.cfg.ReportInterval,
		Load:     func() fleet.Load { return e.fleetLoad(public) },
		OnReply:  func(r fleet.Reply) { e.onReply(r, public) },
	}, e.fleetLog)
}

// fleetLoad is the edge's load in usher's terms.
func (e *Edge) fleetLoad(public string) fleet.Load {
	l := e.Load()
	fl := fleet.Load{
		ID:           l.ID,
		URL:          public,
		DC:           l.DC,
		CapacityMbps: l.CapacityMbps,
		EgressMbps:   l.EgressMbps,
		State:        fleet.StateActive,
		Streams:      make(map[string]fleet.StreamLoad, len(l.Streams)),
	}
	if l.State == StateDraining {
		fl.State = fleet.StateDraining
	}
	for _, name := range l.Streams {
		fl.Streams[name] = fleet.StreamLoad{Viewers: l.Viewers[name], Parent: l.Parents[name]}
	}
	return fl
}

// onReply applies usher's answer to a heartbeat: drain while asked to,
// and move streams to the parents usher planned. An edge given a fixed
// parent keeps it; and it never pulls from itself, whatever a stale plan
// says.
func (e *Edge) onReply(r fleet.Reply, public string) {
	if e.usherDrain.Swap(r.Drain) != r.Drain {
		e.log.Info().Bool("drain", r.Drain).Msg("usher changed this edge's drain")
	}
	if e.cfg.Parent != "" || len(r.Parents) == 0 {
		return
	}
	for name, parent := range r.Parents {
		if parent == "" || sameBase(parent, public) {
			continue
		}
		e.mu.RLock()
		p := e.pulls[name]
		e.mu.RUnlock()
		if p != nil && p.reparent(parent) {
			e.log.Info().Str("stream", name).Str("parent", parent).Msg("usher moved the stream to another parent")
		}
	}
}

// failure is one parent's failure.
type failure struct {
	parent string
	at     time.Time
}

// reassignPause is how long an edge ignores usher's instruction to switch
// to a parent that has just failed it.
const reassignPause = 5 * time.Second

// reparent makes the pull move to parent, the one usher planned for it,
// unless it pulls from there already, is connecting there, is about to,
// or that parent failed it moments ago: usher repeats its instruction at
// every heartbeat until the edge reports the new parent. The open feed is
// cut and the next one resumes after the last chunk held, so viewers see
// no gap.
func (p *pull) reparent(parent string) bool {
	if a := p.assigned.Load(); a != nil && sameBase(*a, parent) {
		return false
	}
	if f := p.failedAt.Load(); f != nil && sameBase(f.parent, parent) && time.Since(f.at) < reassignPause {
		return false
	}
	p.cutMu.Lock()
	defer p.cutMu.Unlock()
	if p.cut != nil && sameBase(p.target, parent) {
		return false
	}
	if cur := p.parent.Load(); p.cut == nil && cur != nil && sameBase(*cur, parent) {
		return false
	}
	p.assigned.Store(&parent)
	if p.cut != nil {
		p.switching = true
		p.cut()
	}
	return true
}

// switched reports whether a feed ended with err because it was cut to
// switch parents, and clears the mark.
func (p *pull) switched(err error) bool {
	p.cutMu.Lock()
	defer p.cutMu.Unlock()
	sw := p.switching
	p.switching = false
	return sw || errors.Is(err, errSwitch)
}

// sameBase reports whether two base URLs name the same server, ignoring a
// trailing slash.
func sameBase(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}
