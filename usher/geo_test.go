package usher

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeCountryDB builds a tiny country database: 100.64.0.0/24 is Japan,
// 100.64.1.0/24 is France.
func writeCountryDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-Country", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, cc := range map[string]string{"100.64.0.0/24": "JP", "100.64.1.0/24": "FR"} {
		_, n, _ := net.ParseCIDR(cidr)
		if err := tree.Insert(n, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRedirectByLatency(t *testing.T) {
	db := writeCountryDB(t)
	srv, _ := twoDCFleet(t, func(c *Config) {
		c.GeoIPPath = db
		// dc-b is near east Asia, dc-a near Europe.
		c.Latency = map[string]map[string]float64{
			"east-asia": {"dc-a": 220, "dc-b": 15},
			"europe":    {"dc-a": 10, "dc-b": 190},
		}
	}, "jp", "fr")
	tests := []struct{ name, stream, ip, want string }{
		{"viewer in japan", "jp", "100.64.0.5", "b1.test"},
		{"viewer in france", "fr", "100.64.1.5", "a1.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, loc := play(t, srv, tc.stream, tc.ip)
			if st != http.StatusFound || hostOf(loc) != tc.want {
				t.Errorf("status %d location %q, want %s", st, loc, tc.want)
			}
		})
	}
}
