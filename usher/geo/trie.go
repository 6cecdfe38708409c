package geo

// trie is a binary prefix trie over address bits; nodes live in one slice
// and refer to each other by index, so a table is a few flat allocations.
type trie struct {
	nodes []trieNode // nodes[0] is the root
}

type trieNode struct {
	child [2]int32 // 0 means none: the root is never a child
	value int32    // route index, -1 when no prefix ends here
}

func newTrie() trie {
	return trie{nodes: []trieNode{{value: -1}}}
}

// insert stores value for the first bits of addr; it reports false if the
// prefix already holds a value.
func (t *trie) insert(addr []byte, bits int, value int32) bool {
	n := int32(0)
	for i := 0; i < bits; i++ {
		b := addr[i>>3] >> (7 - uint(i&7)) & 1
		next := t.nodes[n].child[b]
		if next == 0 {
			t.nodes = append(t.nodes, trieNode{value: -1})
			next = int32(len(t.nodes) - 1)
			t.nodes[n].child[b] = next
		}
		n = next
	}
	if t.nodes[n].value >= 0 {
		return false
	}
	t.nodes[n].value = value
	return true
}

// lookup returns the value of the longest prefix of addr, or -1.
func (t *trie) lookup(addr []byte) int32 {
	best := t.nodes[0].value
	n := int32(0)
	for i := 0; i < len(addr)*8; i++ {
		n = t.nodes[n].child[addr[i>>3]>>(7-uint(i&7))&1]
		if n == 0 {
			break
		}
		if v := t.nodes[n].value; v >= 0 {
			best = v
		}
	}
	return best
}
