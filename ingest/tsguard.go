package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

const (
	tsPacketSize = 188
	tsSyncByte   = 0x47
	tsNullPID    = 0x1fff
	// maxTSInitBytes bounds what the MPEG-TS reader may buffer while it
	// looks for the PAT, the PMT and the first AAC frame. mediacommon stops
	// at 1 MiB with a cryptic error; this stops a few reads earlier with a
	// clear one.
	maxTSInitBytes = 1<<20 - 8*1316
	// maxPESBytes bounds one PES packet: the demuxer accumulates a PES in
	// memory until the next one starts on its PID.
	maxPESBytes = 16 << 20
	// maxTSGarbage bounds the bytes skipped in a row looking for a sync byte.
	maxTSGarbage = 64 << 10
)

// tsGuard sits in front of the MPEG-TS demuxer. It hands it whole,
// sync-aligned packets and bounds the memory a hostile stream can make it
// hold: the demuxer buffers everything until it has found the PMT and keeps
// a PES until the next one starts, both without limit.
type tsGuard struct {
	br         *bufio.Reader
	read       int64
	initBudget int64 // bytes allowed before initDone; 0 once done
	// pesPackets counts, per PID, the packets since the last payload start.
	pesPackets map[uint16]int
	pkt        [tsPacketSize]byte
	pending    []byte // unread tail of pkt
	err        error
}

func newTSGuard(r io.Reader) *tsGuard {
	return &tsGuard{
		br:         bufio.NewReaderSize(r, 32<<10),
		initBudget: maxTSInitBytes,
		pesPackets: make(map[uint16]int),
	}
}

// initDone lifts the bound on bytes read before the demuxer knows its
// tracks.
func (g *tsGuard) initDone() { g.initBudget = 0 }

// Read implements io.Reader. It blocks for at most one packet and returns
// further ones only when they are already buffered, so frames reach the
// demuxer as soon as their last packet arrives.
func (g *tsGuard) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.pending) == 0 {
			if n > 0 && g.br.Buffered() < tsPacketSize {
				break
			}
			if g.err == nil {
				g.err = g.next()
			}
			if g.err != nil {
				if n > 0 {
					break
				}
				return 0, g.err
			}
			g.pending = g.pkt[:]
		}
		c := copy(p[n:], g.pending)
		g.pending = g.pending[c:]
		n += c
	}
	return n, nil
}

// next reads the next aligned packet into g.pkt and checks it.
func (g *tsGuard) next() error {
	skipped := 0
	for {
		c, err := g.br.ReadByte()
		if err != nil {
			return err
		}
		if c == tsSyncByte {
			break
		}
		skipped++
		if skipped > maxTSGarbage {
			return fmt.Errorf("%w: no MPEG-TS sync byte in %d bytes", ErrBadMedia, skipped)
		}
	}
	g.pkt[0] = tsSyncByte
	if _, err := io.ReadFull(g.br, g.pkt[1:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return io.EOF // a truncated last packet is dropped
		}
		return err
	}
	g.read += int64(skipped + tsPacketSize)
	if g.initBudget > 0 && g.read > g.initBudget {
		return fmt.Errorf("%w: no usable PAT/PMT in the first %d bytes of MPEG-TS", ErrBadMedia, g.initBudget)
	}
	pid := uint16(g.pkt[1]&0x1f)<<8 | uint16(g.pkt[2])
	start := g.pkt[1]&0x40 != 0
	hasPayload := g.pkt[3]&0x10 != 0
	switch {
	case pid == tsNullPID:
	case start:
		g.pesPackets[pid] = 1
	case hasPayload:
		g.pesPackets[pid]++
		if g.pesPackets[pid]*(tsPacketSize-4) > maxPESBytes {
			return fmt.Errorf("%w: PES on PID %d exceeds %d bytes", ErrTooLarge, pid, maxPESBytes)
		}
	}
	return nil
}
