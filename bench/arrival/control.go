package arrival

import (
	"encoding/binary"
	"time"
	"unsafe"
)

// Control message levels and types the parser knows (Linux values, the
// same on every architecture).
const (
	solSocket       = 1  // SOL_SOCKET
	scmTimestamp    = 29 // SCM_TIMESTAMP: a struct timeval
	scmTimestampNS  = 35 // SCM_TIMESTAMPNS: a struct timespec
	scmTimestamping = 37 // SCM_TIMESTAMPING: three struct timespec
)

// word is the size of a C long and size_t, which are the fields of a
// control message header's length and of the old timeval and timespec the
// kernel sends.
const word = int(unsafe.Sizeof(uintptr(0)))

// cmsgHeader is the size of struct cmsghdr, aligned: a size_t length and
// two ints.
var cmsgHeader = align(word + 8)

func align(n int) int { return (n + word - 1) &^ (word - 1) }

// ParseControl returns the receive timestamp carried by the control
// messages of one recvmsg call: SCM_TIMESTAMPNS, SCM_TIMESTAMP, or the
// software (else hardware) time of SCM_TIMESTAMPING, whichever comes first.
// It returns ErrNoStamp when none is there and ErrControl when the
// messages do not parse. It allocates nothing.
func ParseControl(oob []byte) (time.Time, error) {
	for len(oob) > 0 {
		if len(oob) < cmsgHeader {
			return time.Time{}, ErrControl
		}
		n := readWord(oob)
		if n < uint64(cmsgHeader) || n > uint64(len(oob)) {
			return time.Time{}, ErrControl
		}
		level := int32(binary.NativeEndian.Uint32(oob[word:]))
		typ := int32(binary.NativeEndian.Uint32(oob[word+4:]))
		data := oob[cmsgHeader:n]
		if level == solSocket {
			var t time.Time
			var err error
			switch typ {
			case scmTimestampNS:
				t, err = timespec(data, 0, time.Nanosecond)
			case scmTimestamp:
				t, err = timespec(data, 0, time.Microsecond)
			case scmTimestamping:
				// ts[0] is the software stamp, ts[2] the raw hardware one;
				// the kernel leaves ts[1] zero.
				t, err = timespec(data, 0, time.Nanosecond)
				if err == nil && t.IsZero() {
					t, err = timespec(data, 2, time.Nanosecond)
				}
			}
			// An all-zero stamp is none: look on.
			if err != nil || !t.IsZero() {
				return t, err
			}
		}
		// The last message needs no padding after it.
		next := min(align(int(n)), len(oob))
		oob = oob[next:]
	}
	return time.Time{}, ErrNoStamp
}

// timespec decodes the i-th pair of words of data as seconds and a
// fraction counted in unit. An all-zero pair is the zero time: the kernel
// writes zeros for a stamp it does not have.
func timespec(data []byte, i int, unit time.Duration) (time.Time, error) {
	off := i * 2 * word
	if len(data) < off+2*word {
		return time.Time{}, ErrControl
	}
	sec := int64(readWord(data[off:]))
	frac := int64(readWord(data[off+word:]))
	if sec == 0 && frac == 0 {
		return time.Time{}, nil
	}
	if sec < 0 || frac < 0 || frac >= int64(time.Second/unit) {
		return time.Time{}, ErrControl
	}
	return time.Unix(sec, frac*int64(unit)), nil
}

// readWord reads a native-endian C long or size_t.
func readWord(b []byte) uint64 {
	if word == 4 {
		return uint64(binary.NativeEndian.Uint32(b))
	}
	return binary.NativeEndian.Uint64(b)
}
