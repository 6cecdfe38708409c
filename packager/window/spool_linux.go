package window

import (
	"errors"

	"golang.org/x/sys/unix"
)

const pageSize = 4096

func newSpool(name string) *spool {
	fd, err := unix.MemfdCreate("livetree:"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	return &spool{fd: fd}
}

func pwrite(fd int, p []byte, off int64) (int, error) {
	for {
		n, err := unix.Pwrite(fd, p, off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n, err
	}
}

func pread(fd int, p []byte, off int64) (int, error) {
	for {
		n, err := unix.Pread(fd, p, off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n, err
	}
}

// punch gives the whole pages in [from, to) back to the kernel. A page
// shared with bytes still held stays until a later punch covers it.
func punch(fd int, from, to int64) {
	from = from / pageSize * pageSize
	to = to / pageSize * pageSize
	if to <= from {
		return
	}
	_ = unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, from, to-from)
}

func closeFile(fd int) { _ = unix.Close(fd) }
