package hls

import (
	"strconv"
	"time"
)

// appendTicks appends ticks/timescale seconds as a decimal with up to five
// fraction digits and at least one, using integers only so that output is
// exact and allocation-free.
func appendTicks(b []byte, ticks uint64, timescale uint32) []byte {
	if timescale == 0 {
		return append(b, "0.0"...)
	}
	v := (ticks*100000 + uint64(timescale)/2) / uint64(timescale)
	return appendFixed5(b, v)
}

// appendDuration appends d in seconds like appendTicks.
func appendDuration(b []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	return appendFixed5(b, uint64((d+5*time.Microsecond)/(10*time.Microsecond)))
}

// appendFixed5 appends v hundred-thousandths as a decimal, trimming trailing
// zeros of the fraction but one.
func appendFixed5(b []byte, v uint64) []byte {
	b = strconv.AppendUint(b, v/100000, 10)
	b = append(b, '.')
	frac := v % 100000
	var d [5]byte
	for i := 4; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 5
	for n > 1 && d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// appendDate appends t as an ISO 8601 UTC date with milliseconds, the form
// EXT-X-PROGRAM-DATE-TIME takes.
func appendDate(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// ceilSeconds returns d rounded up to whole seconds.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
