package token

// b64 is the base64url alphabet; b64Rev maps its bytes back, 0xff marking
// bytes outside it.
const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var b64Rev = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(b64) {
		t[b64[i]] = byte(i)
	}
	return t
}()

// decodeB64 strictly decodes unpadded base64url from s into dst without
// allocating: it rejects padding, foreign bytes, impossible lengths and
// non-zero trailing bits, so every token has exactly one spelling.
func decodeB64(dst []byte, s string) (int, bool) {
	if len(s)%4 == 1 || len(s)*6/8 > len(dst) {
		return 0, false
	}
	var acc uint32
	bits, n := 0, 0
	for i := 0; i < len(s); i++ {
		v := b64Rev[s[i]]
		if v == 0xff {
			return 0, false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst[n] = byte(acc >> bits)
			n++
		}
	}
	if acc&(1<<bits-1) != 0 {
		return 0, false
	}
	return n, true
}
