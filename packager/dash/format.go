package dash

import (
	"strconv"
	"time"
)

// appendXSDuration appends d as an xs:duration in seconds with millisecond
// precision, e.g. PT1.5S.
func appendXSDuration(b []byte, d time.Duration) []byte {
	b = append(b, "PT"...)
	if d < 0 {
		b = append(b[:len(b)-2], "-PT"...)
		d = -d
	}
	ms := (d + time.Millisecond/2) / time.Millisecond
	b = strconv.AppendInt(b, int64(ms/1000), 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'S')
}

// appendDate appends t as an xs:dateTime in UTC with milliseconds.
func appendDate(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// appendSeconds appends d in seconds with up to three decimals.
func appendSeconds(b []byte, d time.Duration) []byte {
	ms := (d + time.Millisecond/2) / time.Millisecond
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, int64(ms/1000), 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return b
}

// appendAttr appends s escaped for an XML attribute value in double quotes.
func appendAttr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendTemplateAttr appends s for a SegmentTemplate attribute: XML-escaped,
// with '$' doubled so that a query is never read as an identifier.
func appendTemplateAttr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			b = append(b, "$$"...)
			continue
		}
		b = appendAttr(b, s[i:i+1])
	}
	return b
}

func toTicks(d time.Duration, timescale uint32) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d/time.Second)*uint64(timescale) + uint64(d%time.Second)*uint64(timescale)/uint64(time.Second)
}

func fromTicks(n uint64, timescale uint32) time.Duration {
	if timescale == 0 {
		return 0
	}
	return time.Duration(n/uint64(timescale))*time.Second +
		time.Duration(n%uint64(timescale))*time.Second/time.Duration(timescale)
}
