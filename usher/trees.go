package usher

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/livetree/livetree/usher/placement"
)

// treeSet is the replication trees in force, by stream. It is immutable
// once built.
type treeSet struct {
	streams map[string]*tree
}

// tree is one stream's planned replication tree.
type tree struct {
	nodes map[string]treeNode // edge ID → node
	order []string            // edge IDs by depth, then ID
}

// treeNode is one edge's place in a tree.
type treeNode struct {
	parentID  string // "" when the edge pulls from the origin
	parentURL string
	depth     int
}

// parents returns the tree as edge ID → parent URL, its published form.
func (t *tree) parents() map[string]string {
	m := make(map[string]string, len(t.nodes))
	for id, n := range t.nodes {
		m[id] = n.parentURL
	}
	return m
}

// treesFromPlans keeps the non-empty plans.
func treesFromPlans(plans []placement.TreePlan) *treeSet {
	ts := &treeSet{streams: make(map[string]*tree, len(plans))}
	for _, p := range plans {
		if len(p.Nodes) == 0 {
			continue
		}
		t := &tree{nodes: make(map[string]treeNode, len(p.Nodes)), order: make([]string, 0, len(p.Nodes))}
		for _, n := range p.Nodes {
			t.nodes[n.EdgeID] = treeNode{parentID: n.Parent, parentURL: n.ParentURL, depth: n.Depth}
			t.order = append(t.order, n.EdgeID)
		}
		ts.streams[p.Stream] = t
	}
	return ts
}

// encode renders the set as lines "stream edge parentID parentURL depth",
// tab-separated, sorted, for the keyTrees string.
func (ts *treeSet) encode() string {
	var sb strings.Builder
	for _, s := range slices.Sorted(maps.Keys(ts.streams)) {
		t := ts.streams[s]
		for _, id := range t.order {
			n := t.nodes[id]
			sb.WriteString(s + "\t" + id + "\t" + n.parentID + "\t" + n.parentURL + "\t" + strconv.Itoa(n.depth) + "\n")
		}
	}
	return sb.String()
}

// decodeTrees parses what encode wrote; malformed lines are skipped.
func decodeTrees(s string) *treeSet {
	ts := &treeSet{streams: make(map[string]*tree)}
	for line := range strings.Lines(s) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 5 || f[0] == "" || f[1] == "" {
			continue
		}
		depth, _ := strconv.Atoi(f[4])
		t := ts.streams[f[0]]
		if t == nil {
			t = &tree{nodes: make(map[string]treeNode)}
			ts.streams[f[0]] = t
		}
		if _, dup := t.nodes[f[1]]; dup {
			continue
		}
		t.nodes[f[1]] = treeNode{parentID: f[2], parentURL: f[3], depth: depth}
		t.order = append(t.order, f[1])
	}
	for _, t := range ts.streams {
		slices.SortFunc(t.order, func(a, b string) int {
			if c := cmp.Compare(t.nodes[a].depth, t.nodes[b].depth); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	return ts
}
