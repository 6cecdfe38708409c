package geo

import "maps"

// Regions maps a viewer's location to a viewer region, the row name of
// placement's latency matrix: by country first, then by continent, else
// Default. The zero Regions maps everything to "".
type Regions struct {
	Countries  map[string]string // ISO country code → region
	Continents map[string]string // continent code → region
	Default    string
}

// DefaultRegions returns a small built-in table of nine regions; operators
// extend or replace it with With.
func DefaultRegions() Regions {
	r := Regions{Countries: map[string]string{}, Continents: map[string]string{
		"NA": "north-america",
		"SA": "south-america",
		"EU": "europe",
		"AF": "africa",
		"AS": "east-asia",
		"OC": "oceania",
	}}
	for region, countries := range map[string][]string{
		"north-america":  {"US", "CA", "MX"},
		"south-america":  {"BR", "AR", "CL", "CO", "PE", "VE", "UY"},
		"europe":         {"GB", "IE", "FR", "DE", "NL", "BE", "ES", "PT", "IT", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "CZ", "RO", "UA", "RU"},
		"middle-east":    {"TR", "IL", "SA", "AE", "QA", "IR", "IQ", "JO"},
		"africa":         {"ZA", "NG", "EG", "KE", "MA", "GH"},
		"south-asia":     {"IN", "PK", "BD", "LK", "NP"},
		"east-asia":      {"CN", "JP", "KR", "TW", "HK", "MN"},
		"southeast-asia": {"SG", "MY", "TH", "VN", "ID", "PH"},
		"oceania":        {"AU", "NZ"},
	} {
		for _, c := range countries {
			r.Countries[c] = region
		}
	}
	return r
}

// With returns a copy of r whose country table is overridden by countries
// (ISO code → region).
func (r Regions) With(countries map[string]string) Regions {
	out := r
	out.Countries = maps.Clone(r.Countries)
	if out.Countries == nil {
		out.Countries = map[string]string{}
	}
	maps.Copy(out.Countries, countries)
	return out
}

// Region returns the viewer region of loc.
func (r Regions) Region(loc Location) string {
	if reg, ok := r.Countries[loc.Country]; ok && loc.Country != "" {
		return reg
	}
	if reg, ok := r.Continents[loc.Continent]; ok && loc.Continent != "" {
		return reg
	}
	return r.Default
}
