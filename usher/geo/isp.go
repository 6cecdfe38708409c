package geo

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
)

// Table maps addresses to ISPs by longest-prefix match.
type Table struct {
	routes []Route
	v4, v6 trie
}

// LoadTable reads an ISP routing table file; see ParseLine for the format.
func LoadTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: %w", err)
	}
	defer f.Close()
	t, err := ParseTable(f)
	if err != nil {
		return nil, fmt.Errorf("geo: %s: %w", path, err)
	}
	return t, nil
}

// ParseTable reads a routing table, one ParseLine line at a time. Errors
// are *LineError values wrapping ErrSyntax or ErrDuplicatePrefix.
func ParseTable(r io.Reader) (*Table, error) {
	t := &Table{v4: newTrie(), v6: newTrie()}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		route, ok, err := ParseLine(sc.Text())
		if err != nil {
			return nil, &LineError{Line: line, Err: err}
		}
		if !ok {
			continue
		}
		if !t.add(route) {
			return nil, &LineError{Line: line, Err: fmt.Errorf("%w: %s", ErrDuplicatePrefix, route.Prefix)}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("geo: read table: %w", err)
	}
	return t, nil
}

func (t *Table) add(r Route) bool {
	idx := int32(len(t.routes))
	a := r.Prefix.Addr()
	var ok bool
	if a.Is4() {
		b := a.As4()
		ok = t.v4.insert(b[:], r.Prefix.Bits(), idx)
	} else {
		b := a.As16()
		ok = t.v6.insert(b[:], r.Prefix.Bits(), idx)
	}
	if ok {
		t.routes = append(t.routes, r)
	}
	return ok
}

// Lookup returns the ISP of the most specific prefix holding ip. IPv4
// addresses in IPv4-mapped IPv6 form match IPv4 prefixes. The returned
// PeeredDCs slice is shared and must not be modified.
func (t *Table) Lookup(ip netip.Addr) (ISP, bool) {
	ip = ip.Unmap()
	var i int32 = -1
	switch {
	case ip.Is4():
		b := ip.As4()
		i = t.v4.lookup(b[:])
	case ip.Is6():
		b := ip.As16()
		i = t.v6.lookup(b[:])
	}
	if i < 0 {
		return ISP{}, false
	}
	return t.routes[i].ISP, true
}

// Len returns the number of routes.
func (t *Table) Len() int { return len(t.routes) }

// Peering returns, per ASN, the sorted union of the datacenters its
// prefixes peer with: the form placement's snapshot takes. ASNs without
// peering are left out.
func (t *Table) Peering() map[uint32][]string {
	m := make(map[uint32][]string)
	for _, r := range t.routes {
		for _, dc := range r.PeeredDCs {
			if !slices.Contains(m[r.ASN], dc) {
				m[r.ASN] = append(m[r.ASN], dc)
			}
		}
	}
	for _, dcs := range m {
		slices.Sort(dcs)
	}
	return m
}
