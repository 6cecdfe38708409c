// Package geo turns a viewer's IP address into what placement scores: the
// country and continent from a MaxMind-format database, the ISP (ASN, name
// and peered datacenters) from a text routing table, and the viewer region
// of the latency matrix from the country.
//
// Lookups are read-only and safe for concurrent use once a database or
// table is loaded.
package geo

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/oschwald/maxminddb-golang"
)

// Location is what the country database knows about an address.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 code, e.g. "JP"; the registered
	// country when the database has no physical one.
	Country string
	// Continent is the two-letter continent code, e.g. "AS", if present.
	Continent string
}

// CountryDB is an open MaxMind-format (GeoIP2/GeoLite2 Country or City,
// or compatible) database.
type CountryDB struct {
	r *maxminddb.Reader
}

// countryRecord is the subset of a GeoIP2 record geo decodes.
type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
}

// Open memory-maps the database at path.
func Open(path string) (*CountryDB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s: %w", path, err)
	}
	return &CountryDB{r: r}, nil
}

// Lookup returns the location of ip, or ErrNotFound.
func (db *CountryDB) Lookup(ip netip.Addr) (Location, error) {
	if !ip.IsValid() {
		return Location{}, ErrNotFound
	}
	var rec countryRecord
	_, ok, err := db.r.LookupNetwork(net.IP(ip.Unmap().AsSlice()), &rec)
	if err != nil {
		return Location{}, fmt.Errorf("geo: lookup %v: %w", ip, err)
	}
	loc := Location{Country: rec.Country.ISOCode, Continent: rec.Continent.Code}
	if loc.Country == "" {
		loc.Country = rec.RegisteredCountry.ISOCode
	}
	if !ok || loc == (Location{}) {
		return Location{}, ErrNotFound
	}
	return loc, nil
}

// Close unmaps the database; lookups must have finished.
func (db *CountryDB) Close() error { return db.r.Close() }
