package placement

import "math"

// arrangeMembers attaches the kept members: first along their current
// parent links wherever those are still valid, then the orphans — members
// whose parent vanished, went stale, started draining, was dropped from the
// tree or has no slot left — wherever attachBest puts them.
func (p *planner) arrangeMembers() {
	for progress := true; progress; {
		progress = false
		for _, i := range p.chosen {
			if p.state[i] != stateChosen {
				continue
			}
			par := p.curParent[i]
			if par == parentOrigin && p.originKids < p.s.dials.OriginFanOut ||
				par >= 0 && p.state[par] == stateInTree && p.canFeed(par) {
				p.attach(i, par)
				progress = true
			}
		}
	}
	for _, i := range p.chosen {
		if p.state[i] == stateChosen && !p.attachBest(i) {
			p.state[i] = stateDropped
		}
	}
}

// canFeed reports whether attached edge par can take one more child within
// FanOut and its room.
func (p *planner) canFeed(par int32) bool {
	return int(p.kids[par]) < p.s.dials.FanOut && p.avail[par]-float64(p.kids[par]+1)*p.b >= 0
}

// attach puts edge i under par (an edge index or parentOrigin) and updates
// the tree's viewer capacity: i adds its room, a feeding edge loses one
// bitrate of its own.
func (p *planner) attach(i, par int32) {
	p.parent[i] = par
	p.state[i] = stateInTree
	p.tree = append(p.tree, i)
	p.capacity += p.avail[i]
	dc := p.s.rows[i].dc
	p.have[dc] += p.avail[i]
	if par == parentOrigin {
		p.originKids++
		p.depth[i] = 1
		return
	}
	p.kids[par]++
	p.depth[i] = p.depth[par] + 1
	p.capacity -= p.b
	p.have[p.s.rows[par].dc] -= p.b
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
