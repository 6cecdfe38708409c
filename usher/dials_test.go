package usher

import (
	"errors"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

func TestApplyDials(t *testing.T) {
	base := placement.DefaultDials()
	tests := []struct {
		name    string
		hash    map[string]string
		wantErr bool
		check   func(placement.Dials) bool
	}{
		{"empty keeps base", nil, false, func(d placement.Dials) bool { return d.Headroom == base.Headroom && d.FanOut == base.FanOut }},
		{"weights", map[string]string{"weight_load": "2", "weight_latency": "0.5", "weight_cost": "3"}, false,
			func(d placement.Dials) bool { return d.WeightLoad == 2 && d.WeightLatency == 0.5 && d.WeightCost == 3 }},
		{"headroom and fanout", map[string]string{"headroom": " 0.8 ", "fanout": "6", "origin_fanout": "2"}, false,
			func(d placement.Dials) bool { return d.Headroom == 0.8 && d.FanOut == 6 && d.OriginFanOut == 2 }},
		{"overflow and horizon", map[string]string{"overflow_url": "https://cdn.test/{stream}/{path}", "horizon": "3s"}, false,
			func(d placement.Dials) bool {
				return d.OverflowURL == "https://cdn.test/{stream}/{path}" && d.Horizon == 3*time.Second
			}},
		{"dc cost", map[string]string{"cost:fra": "2.5", "cost:ams": "0"}, false,
			func(d placement.Dials) bool { return d.DCCost["fra"] == 2.5 && d.DCCost["ams"] == 0 }},
		{"steering", map[string]string{"steer_overflow": "false", "steer_reserve": "0.25"}, false,
			func(d placement.Dials) bool { return !d.SteerOverflow && d.SteerReserve == 0.25 }},
		{"steer not a bool", map[string]string{"steer_overflow": "sometimes"}, true, nil},
		{"headroom above one", map[string]string{"headroom": "1.5"}, true, nil},
		{"not a number", map[string]string{"weight_load": "heavy"}, true, nil},
		{"negative cost", map[string]string{"cost:fra": "-1"}, true, nil},
		{"relative overflow", map[string]string{"overflow_url": "/elsewhere"}, true, nil},
		{"unknown field", map[string]string{"speed": "11"}, true, nil},
		{"zero fanout", map[string]string{"fanout": "0"}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := applyDials(base, tc.hash)
			if tc.wantErr {
				if !errors.Is(err, placement.ErrInvalidDials) {
					t.Fatalf("err %v, want ErrInvalidDials", err)
				}
				if d.Headroom != base.Headroom || d.FanOut != base.FanOut {
					t.Error("rejected dials changed the base")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(d) {
				t.Errorf("dials %+v", d)
			}
		})
	}
}

func TestDialsHashRoundTrip(t *testing.T) {
	d := placement.DefaultDials()
	d.OverflowURL = "https://o.test/{path}"
	d.DCCost = map[string]float64{"x": 1.25}
	got, err := applyDials(placement.Dials{StaleAfter: d.StaleAfter}, dialsHash(d))
	if err != nil {
		t.Fatal(err)
	}
	if got.OverflowURL != d.OverflowURL || got.DCCost["x"] != 1.25 || got.Horizon != d.Horizon || got.Candidates != d.Candidates ||
		got.SteerOverflow != d.SteerOverflow || got.SteerReserve != d.SteerReserve {
		t.Errorf("round trip: %+v", got)
	}
}
