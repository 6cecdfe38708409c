//go:build !linux

package window

func newSpool(string) *spool { return nil }

func pwrite(int, []byte, int64) (int, error) { return 0, ErrNoFile }
func pread(int, []byte, int64) (int, error)  { return 0, ErrNoFile }
func punch(int, int64, int64)                {}
func closeFile(int)                          {}
