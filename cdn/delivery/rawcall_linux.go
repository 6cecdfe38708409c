package delivery

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The fast path's loops call the kernel on non-blocking sockets only, so
// they use raw system calls: nothing waits in them, and the runtime's
// bookkeeping around a call that might block (handing the processor to
// another thread, taking it back) would cost more than the call.

func rawErr(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(n), rawErr(e)
}

// rawWritev writes a, b and c in one call; any may be empty.
func rawWritev(fd int, a, b, c []byte) (int, error) {
	var iov [3]unix.Iovec
	k := 0
	for _, p := range [3][]byte{a, b, c} {
		if len(p) > 0 {
			iov[k].Base = &p[0]
			iov[k].SetLen(len(p))
			k++
		}
	}
	if k == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
	return int(n), rawErr(e)
}

// rawSend sends p with flags (MSG_MORE: more follows at once).
func rawSend(fd int, p []byte, flags int) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(flags), 0, 0)
	return int(n), rawErr(e)
}

func rawSendfile(out, in int, off *int64, n int) (int, error) {
	m, _, e := unix.RawSyscall6(unix.SYS_SENDFILE, uintptr(out), uintptr(in), uintptr(unsafe.Pointer(off)), uintptr(n), 0, 0)
	return int(m), rawErr(e)
}
