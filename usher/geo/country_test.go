package geo

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeTestDB builds a tiny GeoIP2-Country-shaped database in a temp dir.
func writeTestDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoIP2-Country",
		RecordSize:              24,
		IncludeReservedNetworks: true, // the test uses documentation ranges
	})
	if err != nil {
		t.Fatal(err)
	}
	record := func(country, registered, continent string) mmdbtype.Map {
		m := mmdbtype.Map{}
		if country != "" {
			m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(country)}
		}
		if registered != "" {
			m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(registered)}
		}
		if continent != "" {
			m["continent"] = mmdbtype.Map{"code": mmdbtype.String(continent)}
		}
		return m
	}
	for _, n := range []struct {
		cidr string
		rec  mmdbtype.Map
	}{
		{"203.0.113.0/24", record("JP", "JP", "AS")},
		{"198.51.100.0/25", record("", "FR", "EU")}, // registered country only
		{"198.51.100.128/25", record("BR", "", "")},
		{"2001:db8::/32", record("DE", "DE", "EU")},
		{"192.0.2.0/24", mmdbtype.Map{"other": mmdbtype.String("x")}}, // record without location
	} {
		_, network, err := net.ParseCIDR(n.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, n.rec); err != nil {
			t.Fatalf("insert %s: %v", n.cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCountryLookup(t *testing.T) {
	db, err := Open(writeTestDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		name    string
		ip      string
		want    Location
		wantErr error
	}{
		{"IPv4 with country and continent", "203.0.113.9", Location{"JP", "AS"}, nil},
		{"IPv4-mapped IPv6", "::ffff:203.0.113.9", Location{"JP", "AS"}, nil},
		{"registered country fallback", "198.51.100.1", Location{"FR", "EU"}, nil},
		{"country without continent", "198.51.100.200", Location{"BR", ""}, nil},
		{"IPv6", "2001:db8:1::1", Location{"DE", "EU"}, nil},
		{"record without location", "192.0.2.1", Location{}, ErrNotFound},
		{"unknown IPv4", "100.64.0.1", Location{}, ErrNotFound},
		{"unknown IPv6", "2001:db9::1", Location{}, ErrNotFound},
		{"zero address", "", Location{}, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ip netip.Addr
			if tc.ip != "" {
				ip = netip.MustParseAddr(tc.ip)
			}
			got, err := db.Lookup(ip)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("Lookup(%s) = %+v, %v; want %+v, %v", tc.ip, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a maxmind database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.mmdb"), garbage} {
		if db, err := Open(path); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", path)
		}
	}
}
