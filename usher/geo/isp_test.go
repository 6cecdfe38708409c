package geo

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Route
		ok      bool
		wantErr bool
	}{
		{"full line", "203.0.113.0/24 AS64500 ExampleNet fra,ams", Route{netip.MustParsePrefix("203.0.113.0/24"), ISP{64500, "ExampleNet", []string{"fra", "ams"}}}, true, false},
		{"bare ASN, no peering", "2001:db8::/32 64501 V6Net", Route{netip.MustParsePrefix("2001:db8::/32"), ISP{64501, "V6Net", nil}}, true, false},
		{"dash for no peering, trailing comment", "10.0.0.0/8\tAS1\tTen\t-  # private", Route{netip.MustParsePrefix("10.0.0.0/8"), ISP{1, "Ten", nil}}, true, false},
		{"default route", "0.0.0.0/0 AS2 Default iad", Route{netip.MustParsePrefix("0.0.0.0/0"), ISP{2, "Default", []string{"iad"}}}, true, false},
		{"blank", "   ", Route{}, false, false},
		{"comment", "# CIDR ASN NAME DCS", Route{}, false, false},
		{"too few fields", "10.0.0.0/8 AS1", Route{}, false, true},
		{"too many fields", "10.0.0.0/8 AS1 Ten fra extra", Route{}, false, true},
		{"bad prefix", "10.0.0/8 AS1 Ten", Route{}, false, true},
		{"bare address", "10.0.0.1 AS1 Ten", Route{}, false, true},
		{"host bits set", "10.0.0.1/8 AS1 Ten", Route{}, false, true},
		{"mapped IPv4 prefix", "::ffff:10.0.0.0/104 AS1 Ten", Route{}, false, true},
		{"bad ASN", "10.0.0.0/8 ASx Ten", Route{}, false, true},
		{"doubled AS prefix", "10.0.0.0/8 ASas1 Ten", Route{}, false, true},
		{"lower-case AS prefix", "10.0.0.0/8 as7 Seven", Route{netip.MustParsePrefix("10.0.0.0/8"), ISP{7, "Seven", nil}}, true, false},
		{"zero ASN", "10.0.0.0/8 AS0 Ten", Route{}, false, true},
		{"ASN too large", "10.0.0.0/8 AS4294967296 Ten", Route{}, false, true},
		{"empty DC", "10.0.0.0/8 AS1 Ten fra,,ams", Route{}, false, true},
		{"repeated DC", "10.0.0.0/8 AS1 Ten fra,fra", Route{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ParseLine(tc.line)
			if (err != nil) != tc.wantErr || ok != tc.ok {
				t.Fatalf("ParseLine(%q) = %v, %v, %v", tc.line, got, ok, err)
			}
			if err != nil && !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseLine(%q) = %+v, want %+v", tc.line, got, tc.want)
			}
		})
	}
}

const sampleTable = `# CIDR              ASN      ISP          peered DCs
10.0.0.0/8          AS100    BigTelco     iad
10.1.0.0/16         AS200    RegionalNet  fra,ams
10.1.2.0/24         AS300    CityFiber    -
10.1.2.128/25       AS100    BigTelco     sjc       # same ISP, another DC
2001:db8::/32       AS400    V6Only       ams
2001:db8:ff00::/40  AS500    V6Sub
`

func TestTableLookup(t *testing.T) {
	tab, err := ParseTable(strings.NewReader(sampleTable))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 6 {
		t.Errorf("Len = %d", tab.Len())
	}
	tests := []struct {
		ip      string
		wantASN uint32
		ok      bool
	}{
		{"10.200.0.1", 100, true},
		{"10.1.200.1", 200, true},
		{"10.1.2.3", 300, true},
		{"10.1.2.200", 100, true},
		{"10.1.2.127", 300, true},
		{"::ffff:10.1.2.3", 300, true},
		{"11.0.0.1", 0, false},
		{"2001:db8:1::1", 400, true},
		{"2001:db8:ff12::1", 500, true},
		{"2001:db9::1", 0, false},
		{"fe80::1%eth0", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			isp, ok := tab.Lookup(netip.MustParseAddr(tc.ip))
			if ok != tc.ok || isp.ASN != tc.wantASN {
				t.Fatalf("Lookup = %+v, %v; want ASN %d, %v", isp, ok, tc.wantASN, tc.ok)
			}
		})
	}
	if _, ok := tab.Lookup(netip.Addr{}); ok {
		t.Error("zero address matched")
	}
	want := map[uint32][]string{100: {"iad", "sjc"}, 200: {"ams", "fra"}, 400: {"ams"}}
	if got := tab.Peering(); !reflect.DeepEqual(got, want) {
		t.Errorf("Peering = %v, want %v", got, want)
	}
}

func TestParseTableErrors(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantLine int
		want     error
	}{
		{"syntax", "10.0.0.0/8 AS1 A\nbogus line\n", 2, ErrSyntax},
		{"duplicate", "# x\n10.0.0.0/8 AS1 A\n10.0.0.0/8 AS2 B\n", 3, ErrDuplicatePrefix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTable(strings.NewReader(tc.text))
			var le *LineError
			if !errors.As(err, &le) || le.Line != tc.wantLine || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want line %d %v", err, tc.wantLine, tc.want)
			}
		})
	}
}

func TestLoadTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "isp.txt")
	if err := os.WriteFile(path, []byte(sampleTable), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := LoadTable(path)
	if err != nil || tab.Len() != 6 {
		t.Fatalf("LoadTable = %v, %v", tab, err)
	}
	if _, err := LoadTable(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file loaded")
	}
}

// FuzzParseLine checks that no line panics and that every accepted line
// survives a round trip through its canonical form.
func FuzzParseLine(f *testing.F) {
	for _, line := range strings.Split(sampleTable, "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok, err := ParseLine(line)
		if err != nil || !ok {
			return
		}
		again, ok, err := ParseLine(r.String())
		if err != nil || !ok || !reflect.DeepEqual(r, again) {
			t.Fatalf("%q → %q → %+v, %v, %v", line, r.String(), again, ok, err)
		}
	})
}

func BenchmarkTableLookup(b *testing.B) {
	tab, err := ParseTable(strings.NewReader(sampleTable))
	if err != nil {
		b.Fatal(err)
	}
	ips := []netip.Addr{netip.MustParseAddr("10.1.2.200"), netip.MustParseAddr("2001:db8:ff12::1")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tab.Lookup(ips[i&1])
	}
}
