package arrival

import "time"

// Stamp tells when the bytes of one read arrived. Kernel times are
// CLOCK_REALTIME, comparable with time.Now in any process of the machine.
//
// There is no stamp of a read's first byte: TCP merges a packet into the
// one queued before it when it can, and the merged packet keeps the newer
// stamp, so only the newest packet's time survives.
type Stamp struct {
	// Last is when the kernel received the newest packet the read took
	// bytes from, the one holding its last byte; zero when the kernel sent
	// no stamp (data queued before timestamps were enabled).
	Last time.Time
	// Read is when the read returned to the reader.
	Read time.Time
}
