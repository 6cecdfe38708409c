package placement

import "math"

// arrangeMembers attaches the kept members: first along their current
// parent links wherever those are still valid, then the orphans — members
// whose parent vanished, went stale, started draining, was dropped from the
// tree or has no slot left — wherever attachBest puts them. A current link
// needs only a slot within FanOut, not room: the parent pays for that feed
// already, so keeping it adds no egress, whereas breaking it would move
// the child's viewers when no other parent has room. An orphan that
// already pulls from the origin and serves viewers or children stays there
// even past OriginFanOut when no parent has room for it: the origin feeds
// it already, and dropping it would move its viewers. Edges usher starts
// between plans pull from the origin when no tree member has room, so this
// is how a full tree keeps them. Orphans are placed one at a time, those
// with the most viewers first, and the current links are followed again
// after each, since an orphan's own children may still hang under it.
func (p *planner) arrangeMembers() {
	for {
		p.followLinks()
		i := p.nextOrphan()
		switch {
		case i < 0:
			return
		case p.attachBest(i):
		case p.curParent[i] == parentOrigin && p.share[i] > 0:
			p.attach(i, parentOrigin)
		default:
			p.state[i] = stateDropped
		}
	}
}

// followLinks attaches kept members along their current parent links
// until no more can be.
func (p *planner) followLinks() {
	for progress := true; progress; {
		progress = false
		for _, i := range p.chosen {
			if p.state[i] != stateChosen {
				continue
			}
			par := p.curParent[i]
			if par == parentOrigin && p.originKids < p.s.dials.OriginFanOut ||
				par >= 0 && p.state[par] == stateInTree && int(p.kids[par]) < p.s.dials.FanOut {
				p.attach(i, par)
				progress = true
			}
		}
	}
}

// nextOrphan returns the first kept member not attached yet whose parent
// is not a kept member waiting to be attached itself, else the first kept
// member not attached (their links loop), else -1.
func (p *planner) nextOrphan() int32 {
	first := int32(-1)
	for _, i := range p.chosen {
		if p.state[i] != stateChosen {
			continue
		}
		if par := p.curParent[i]; par < 0 || p.state[par] != stateChosen {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// canFeed reports whether attached edge par can take one more child within
// FanOut and its room, keeping room for the stream's viewers it serves now:
// they stay, so a parent they fill has nothing left to feed a child with.
func (p *planner) canFeed(par int32) bool {
	return int(p.kids[par]) < p.s.dials.FanOut && p.avail[par]-float64(p.kids[par]+1)*p.b >= p.onEdge[par]
}

// attach puts edge i under par (an edge index or parentOrigin) and updates
// the tree's viewer capacity: i adds its room, a feeding edge loses up to
// one bitrate of its own.
func (p *planner) attach(i, par int32) {
	p.parent[i] = par
	p.state[i] = stateInTree
	p.tree = append(p.tree, i)
	p.capacity += p.viewerRoom(i)
	dc := p.s.rows[i].dc
	p.have[dc] += p.viewerRoom(i)
	if par == parentOrigin {
		p.originKids++
		p.depth[i] = 1
		return
	}
	before := p.viewerRoom(par)
	p.kids[par]++
	p.depth[i] = p.depth[par] + 1
	lost := before - p.viewerRoom(par)
	p.capacity -= lost
	p.have[p.s.rows[par].dc] -= lost
}

// attachBest attaches edge i under the best parent that can feed it: one in
// the same datacenter (inter-DC traffic is what costs), then the shallowest
// (each hop adds delay), then the one with the most room, then by hash. The
// origin counts as the shallowest parent in no datacenter. It reports false
// when no parent can take i.
func (p *planner) attachBest(i int32) bool {
	s := p.s
	dc := s.rows[i].dc
	best := parentNone
	var bestSame bool
	var bestDepth int32
	var bestRoom float64
	var bestTie uint64
	if p.originKids < s.dials.OriginFanOut {
		best, bestDepth, bestRoom = parentOrigin, 0, math.Inf(1)
	}
	for _, c := range p.tree {
		if !p.canFeed(c) {
			continue
		}
		same := s.rows[c].dc == dc
		room := p.viewerRoom(c)
		tie := mix(p.st.hash ^ s.rows[c].hash ^ s.rows[i].hash)
		better := best == parentNone
		if !better {
			switch {
			case same != bestSame:
				better = same
			case p.depth[c] != bestDepth:
				better = p.depth[c] < bestDepth
			case room != bestRoom:
				better = room > bestRoom
			default:
				better = tie < bestTie
			}
		}
		if better {
			best, bestSame, bestDepth, bestRoom, bestTie = c, same, p.depth[c], room, tie
		}
	}
	if best == parentNone {
		return false
	}
	p.attach(i, best)
	return true
}
