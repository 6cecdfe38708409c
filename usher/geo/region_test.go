package geo

import "testing"

func TestRegions(t *testing.T) {
	def := DefaultRegions()
	custom := def.With(map[string]string{"US": "us-east", "XX": "lab"})
	custom.Default = "elsewhere"
	tests := []struct {
		name    string
		regions Regions
		loc     Location
		want    string
	}{
		{"country in table", def, Location{"JP", "AS"}, "east-asia"},
		{"country beats continent", def, Location{"TR", "AS"}, "middle-east"},
		{"continent fallback", def, Location{"KZ", "AS"}, "east-asia"},
		{"unknown everything", def, Location{"ZZ", ""}, ""},
		{"override", custom, Location{"US", "NA"}, "us-east"},
		{"override adds a country", custom, Location{"XX", ""}, "lab"},
		{"custom default", custom, Location{}, "elsewhere"},
		{"override leaves the original alone", def, Location{"US", "NA"}, "north-america"},
		{"zero Regions", Regions{}, Location{"US", "NA"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.regions.Region(tc.loc); got != tc.want {
				t.Fatalf("Region(%+v) = %q, want %q", tc.loc, got, tc.want)
			}
		})
	}
}
