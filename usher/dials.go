package usher

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/livetree/livetree/usher/placement"
)

// Fields of the Redis "dials" hash. A field that is absent keeps the value
// from the usher's configuration; "cost:<dc>" sets one datacenter's cost.
const (
	dialWeightLoad     = "weight_load"
	dialWeightLatency  = "weight_latency"
	dialWeightCost     = "weight_cost"
	dialArrivalBonus   = "arrival_bonus"
	dialHeadroom       = "headroom"
	dialOverflowURL    = "overflow_url"
	dialFanOut         = "fanout"
	dialOriginFanOut   = "origin_fanout"
	dialCandidates     = "candidates"
	dialHorizon        = "horizon"
	dialShrinkMargin   = "shrink_margin"
	dialUnknownLatency = "unknown_latency_ms"
	dialSteerOverflow  = "steer_overflow"
	dialSteerReserve   = "steer_reserve"
	dialCostPrefix     = "cost:"
)

// applyDials returns base with the fields of hash h applied, or an error
// naming every field it cannot use; the result is validated.
func applyDials(base placement.Dials, h map[string]string) (placement.Dials, error) {
	d := base
	d.DCCost = maps.Clone(base.DCCost)
	var errs []error
	float := func(dst *float64, field, v string) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a number", field, v))
			return
		}
		*dst = f
	}
	integer := func(dst *int, field, v string) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not an integer", field, v))
			return
		}
		*dst = n
	}
	// Fields are applied in sorted order so the errors read the same
	// every time.
	for _, field := range slices.Sorted(maps.Keys(h)) {
		v := h[field]
		switch field {
		case dialWeightLoad:
			float(&d.WeightLoad, field, v)
		case dialWeightLatency:
			float(&d.WeightLatency, field, v)
		case dialWeightCost:
			float(&d.WeightCost, field, v)
		case dialArrivalBonus:
			float(&d.ArrivalBonus, field, v)
		case dialHeadroom:
			float(&d.Headroom, field, v)
		case dialShrinkMargin:
			float(&d.ShrinkMargin, field, v)
		case dialUnknownLatency:
			float(&d.UnknownLatencyMs, field, v)
		case dialOverflowURL:
			d.OverflowURL = strings.TrimSpace(v)
		case dialSteerOverflow:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", field, v))
				continue
			}
			d.SteerOverflow = b
		case dialSteerReserve:
			float(&d.SteerReserve, field, v)
		case dialFanOut:
			integer(&d.FanOut, field, v)
		case dialOriginFanOut:
			integer(&d.OriginFanOut, field, v)
		case dialCandidates:
			integer(&d.Candidates, field, v)
		case dialHorizon:
			hz, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration", field, v))
				continue
			}
			d.Horizon = hz
		default:
			dc, ok := strings.CutPrefix(field, dialCostPrefix)
			if !ok || dc == "" {
				errs = append(errs, fmt.Errorf("unknown dial %q", field))
				continue
			}
			var c float64
			float(&c, field, v)
			if d.DCCost == nil {
				d.DCCost = map[string]float64{}
			}
			d.DCCost[dc] = c
		}
	}
	if len(errs) > 0 {
		return base, fmt.Errorf("%w: %w", placement.ErrInvalidDials, errors.Join(errs...))
	}
	if err := d.Validate(); err != nil {
		return base, err
	}
	return d, nil
}

// dialsHash renders d as the fields of the Redis "dials" hash.
func dialsHash(d placement.Dials) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	h := map[string]string{
		dialWeightLoad:     f(d.WeightLoad),
		dialWeightLatency:  f(d.WeightLatency),
		dialWeightCost:     f(d.WeightCost),
		dialArrivalBonus:   f(d.ArrivalBonus),
		dialHeadroom:       f(d.Headroom),
		dialOverflowURL:    d.OverflowURL,
		dialFanOut:         strconv.Itoa(d.FanOut),
		dialOriginFanOut:   strconv.Itoa(d.OriginFanOut),
		dialCandidates:     strconv.Itoa(d.Candidates),
		dialHorizon:        d.Horizon.String(),
		dialShrinkMargin:   f(d.ShrinkMargin),
		dialUnknownLatency: f(d.UnknownLatencyMs),
		dialSteerOverflow:  strconv.FormatBool(d.SteerOverflow),
		dialSteerReserve:   f(d.SteerReserve),
	}
	for dc, c := range d.DCCost {
		h[dialCostPrefix+dc] = f(c)
	}
	return h
}

// hashSignature renders a hash in a canonical form, to notice changes.
func hashSignature(h map[string]string) string {
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(h)) {
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(h[k])
		sb.WriteByte('\n')
	}
	return sb.String()
}
