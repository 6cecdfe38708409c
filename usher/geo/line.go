package geo

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ISP is what the routing table says about an address's network.
type ISP struct {
	ASN  uint32
	Name string
	// PeeredDCs are the datacenters this network peers with, in file order.
	PeeredDCs []string
}

// Route is one line of an ISP routing table.
type Route struct {
	Prefix netip.Prefix
	ISP
}

// String formats r as a canonical table line.
func (r Route) String() string {
	dcs := "-"
	if len(r.PeeredDCs) > 0 {
		dcs = strings.Join(r.PeeredDCs, ",")
	}
	return fmt.Sprintf("%s AS%d %s %s", r.Prefix, r.ASN, r.Name, dcs)
}

// ParseLine parses one table line:
//
//	CIDR ASN ISP-name [peered-DC[,DC...]]
//
// fields separated by blanks, the ASN with or without an "AS" prefix, "-"
// or nothing for no peering, and "#" starting a comment. It reports false
// for a blank or comment-only line. Prefixes must be canonical (no host
// bits) and IPv4 prefixes written as IPv4.
func ParseLine(line string) (Route, bool, error) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return Route{}, false, nil
	}
	if len(f) < 3 || len(f) > 4 {
		return Route{}, false, fmt.Errorf("%w: want CIDR ASN NAME [DCS], got %d fields", ErrSyntax, len(f))
	}
	var r Route
	p, err := netip.ParsePrefix(f[0])
	if err != nil {
		return Route{}, false, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if p.Masked() != p {
		return Route{}, false, fmt.Errorf("%w: %s has host bits set", ErrSyntax, f[0])
	}
	if p.Addr().Is4In6() {
		return Route{}, false, fmt.Errorf("%w: write %s as an IPv4 prefix", ErrSyntax, f[0])
	}
	r.Prefix = p
	digits := f[1]
	if len(digits) > 2 && strings.EqualFold(digits[:2], "AS") {
		digits = digits[2:]
	}
	asn, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || asn == 0 {
		return Route{}, false, fmt.Errorf("%w: bad ASN %q", ErrSyntax, f[1])
	}
	r.ASN = uint32(asn)
	r.Name = f[2]
	if len(f) == 4 && f[3] != "-" {
		r.PeeredDCs = strings.Split(f[3], ",")
		for k, dc := range r.PeeredDCs {
			if dc == "" || dc == "-" {
				return Route{}, false, fmt.Errorf("%w: empty datacenter in %q", ErrSyntax, f[3])
			}
			for _, prev := range r.PeeredDCs[:k] {
				if prev == dc {
					return Route{}, false, fmt.Errorf("%w: datacenter %q listed twice", ErrSyntax, dc)
				}
			}
		}
	}
	return r, true, nil
}
