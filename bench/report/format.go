package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// UnitFraction marks a figure whose value is a fraction of one; it is
// shown as a percentage while JSON and limits keep the fraction.
const UnitFraction = "fraction"

// FormatValue renders v for people: fractions as percentages, integers
// with thousands separators, other numbers with three or four significant
// digits, and the unit after a space.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if unit == UnitFraction {
		return formatNumber(v*100) + " %"
	}
	s := formatNumber(v)
	if unit != "" {
		s += " " + unit
	}
	return s
}

func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case v == math.Trunc(v) && a < 1e15:
		return group(strconv.FormatInt(int64(v), 10))
	case a >= 1000:
		return group(strconv.FormatInt(int64(math.Round(v)), 10))
	case a >= 100:
		return trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
	case a >= 10:
		return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
	case a >= 0.001:
		return trimZeros(strconv.FormatFloat(v, 'f', 3, 64))
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// trimZeros drops trailing zeros after a decimal point, and the point.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// group puts thousands separators into a decimal integer of five or more
// digits.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 4 {
		return sign + s
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}

// formatClock renders seconds as h:mm (or m:ss below an hour of span),
// for time axes.
func formatClock(sec float64, span float64) string {
	neg := sec < 0
	s := int64(math.Round(math.Abs(sec)))
	sign := ""
	if neg {
		sign = "-"
	}
	switch {
	case span >= 3*3600:
		return fmt.Sprintf("%s%d:%02d", sign, s/3600, s%3600/60)
	case span >= 120:
		return fmt.Sprintf("%s%d:%02d", sign, s/60, s%60)
	default:
		return fmt.Sprintf("%s%ds", sign, s)
	}
}
