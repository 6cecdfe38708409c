package peers

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Binaries are livetree's programs built from the working tree, so that a
// benchmark measures the code as it is now rather than an installed copy.
type Binaries struct {
	Ingest, CDN, Bench string
}

// Build compiles the ingest, cdn and bench commands into dir.
func Build(dir string) (Binaries, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return Binaries{}, fmt.Errorf("peers: go is needed to build livetree: %w", err)
	}
	out, err := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator),
		"github.com/livetree/livetree/ingest/cmd/ingest",
		"github.com/livetree/livetree/cdn/cmd/cdn",
		"github.com/livetree/livetree/bench/cmd/bench").CombinedOutput()
	if err != nil {
		return Binaries{}, fmt.Errorf("peers: go build: %w: %s", err, out)
	}
	return Binaries{
		Ingest: filepath.Join(dir, "ingest"),
		CDN:    filepath.Join(dir, "cdn"),
		Bench:  filepath.Join(dir, "bench"),
	}, nil
}

// Origin runs bin/ingest in dev mode (every stream key accepted) on two
// free loopback ports, with extra flags such as -window. The process's Addr
// is its HTTP address; rtmp is where broadcasters publish.
func Origin(bin string, extra ...string) (p *Process, rtmp string, err error) {
	httpAddr, err := FreePort()
	if err != nil {
		return nil, "", err
	}
	if rtmp, err = FreePort(); err != nil {
		return nil, "", err
	}
	args := append([]string{"-http", httpAddr, "-rtmp", rtmp, "-log-level", "warn"}, extra...)
	p, err = start(exec.Command(bin, args...), httpAddr)
	return p, rtmp, err
}

// Edge runs bin/cdn pulling from parent (a base URL) on a free loopback
// port, with extra flags such as -idle-timeout. Stop interrupts it rather
// than drain it.
func Edge(bin, parent string, extra ...string) (*Process, error) {
	addr, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-http", addr, "-parent", parent, "-id", "bench-edge", "-log-level", "warn"}, extra...)
	p, err := start(exec.Command(bin, args...), addr)
	if p != nil {
		p.stop = syscall.SIGINT
	}
	return p, err
}

// Broadcast runs "bench push" publishing the MPEG-TS clip media in a loop,
// in real time, over RTMP to rtmp (host:port), with extra flags such as
// -duration. The stream is named prefix followed by 0, bench push's
// numbering.
func Broadcast(bin, rtmp, prefix, media string, extra ...string) (p *Process, stream string, err error) {
	args := append([]string{"push", "-quiet", "-streams", "1", "-spread", "0s", "-name", prefix + "%d",
		"-url", "rtmp://" + rtmp + "/live/{stream}?key=bench", "-media", media}, extra...)
	if p, err = launch(exec.Command(bin, args...)); err != nil {
		return nil, "", err
	}
	p.stop = syscall.SIGINT
	return p, prefix + "0", nil
}
