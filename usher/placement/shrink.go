package placement

import (
	"cmp"
	"slices"
)

// selectMembers decides which current members stay in the tree. It
// starts from all of them and prunes leaves, fewest viewers first, while
// the estimated room of the members left stays at least demand × (1 +
// ShrinkMargin) and the pruned leaf's viewers fit in what those members
// have to spare beyond their own viewers; a member becomes a leaf once the
// members it feeds are pruned. Pruning leaves only, rather than any member, keeps
// every child that stays under the parent that feeds it already: a new
// parent would need room for the feed, which a full tree lacks. The
// estimate charges every member one bitrate for feeding it.
func (p *planner) selectMembers() {
	st := p.st
	goal := p.demand * (1 + p.s.dials.ShrinkMargin)
	est, spare := 0.0, 0.0
	p.feeds = slices.Grow(p.feeds[:0], len(st.edges))[:len(st.edges)]
	clear(p.feeds)
	p.spare = p.spare[:0]
	for pos, i := range st.edges {
		if p.state[i] != stateMember {
			continue
		}
		p.spare = append(p.spare, i)
		est += p.avail[i] - p.b
		spare += p.avail[i] - p.b - p.onEdge[i]
		if up := st.up[pos]; up >= 0 && p.state[st.edges[up]] == stateMember {
			p.feeds[up]++
		}
	}
	slices.SortFunc(p.spare, func(a, b int32) int {
		if c := cmp.Compare(p.onEdge[a], p.onEdge[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for progress := true; progress; {
		progress = false
		for _, i := range p.spare {
			pos, _ := st.position(i)
			if p.state[i] != stateMember || p.feeds[pos] > 0 {
				continue
			}
			room := p.avail[i] - p.b
			if est-room < goal || p.onEdge[i] > spare-(room-p.onEdge[i]) {
				continue
			}
			est -= room
			spare -= room - p.onEdge[i]
			p.state[i] = stateDropped
			if up := st.up[pos]; up >= 0 && p.state[st.edges[up]] == stateMember {
				p.feeds[up]--
			}
			progress = true
		}
	}
	// Members with the most viewers come first, so that they are the
	// first to find a parent if their own is gone.
	for k := len(p.spare) - 1; k >= 0; k-- {
		i := p.spare[k]
		if p.state[i] == stateDropped {
			p.state[i] = stateMember
			continue
		}
		p.state[i] = stateChosen
		p.chosen = append(p.chosen, i)
	}
}
