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
	// overflow is the plan's ArrivalOverflowShare: the share of new
	// viewers the tree has no room for, which placement steers to the
	// overflow CDN until the next plan.
	overflow float64
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
		t := &tree{nodes: make(map[string]treeNode, len(p.Nodes)), order: make([]string, 0, len(p.Nodes)),
			overflow: p.ArrivalOverflowShare}
		for _, n := range p.Nodes {
			t.nodes[n.EdgeID] = treeNode{parentID: n.Parent, parentURL: n.ParentURL, depth: n.Depth}
			t.order = append(t.order, n.EdgeID)
		}
		ts.streams[p.Stream] = t
	}
	return ts
}

// encode renders the set as lines "stream edge parentID parentURL depth",
// tab-separated, sorted, for the keyTrees string, and a line "stream
// overflow share" for a tree with an overflow share (three fields, which
// an older decoder skips).
func (ts *treeSet) encode() string {
	var sb strings.Builder
	for _, s := range slices.Sorted(maps.Keys(ts.streams)) {
		t := ts.streams[s]
		for _, id := range t.order {
			n := t.nodes[id]
			sb.WriteString(s + "\t" + id + "\t" + n.parentID + "\t" + n.parentURL + "\t" + strconv.Itoa(n.depth) + "\n")
		}
		if t.overflow > 0 {
			sb.WriteString(s + "\t" + overflowField + "\t" + strconv.FormatFloat(t.overflow, 'g', 6, 64) + "\n")
		}
	}
	return sb.String()
}

// overflowField marks a tree's overflow line; no edge ID can be spelt so,
// since IDs never hold a tab and this is not matched against node lines.
const overflowField = "overflow"

// overflowShares returns each stream's overflow share, for placement's
// Input.Overflow.
func (ts *treeSet) overflowShares() map[string]float64 {
	var out map[string]float64
	for s, t := range ts.streams {
		if t.overflow > 0 {
			if out == nil {
				out = make(map[string]float64)
			}
			out[s] = t.overflow
		}
	}
	return out
}

// decodeTrees parses what encode wrote; malformed lines are skipped.
func decodeTrees(s string) *treeSet {
	ts := &treeSet{streams: make(map[string]*tree)}
	for line := range strings.Lines(s) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) == 3 && f[0] != "" && f[1] == overflowField {
			if sh, err := strconv.ParseFloat(f[2], 64); err == nil && sh > 0 && sh <= 1 {
				if t := ts.streams[f[0]]; t != nil {
					t.overflow = sh
				}
			}
			continue
		}
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
