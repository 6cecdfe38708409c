package peers

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// partWindow packages two seconds of a stream whose 200 ms parts are about
// partBytes each and returns the window and one complete video part.
func partWindow(tb testing.TB, partBytes int) (*window.Streams, window.ObjectName, []byte) {
	tb.Helper()
	m, err := push.LoadTS("../../testdata/sample.ts")
	if err != nil {
		tb.Fatal(err)
	}
	st := packager.NewStream("bench", packager.DefaultConfig())
	sess, err := st.Publish(packager.Tracks{Video: m.Tracks.Video})
	if err != nil {
		tb.Fatal(err)
	}
	payload := make([]byte, partBytes/6)
	now := time.Now()
	for i := 0; i < 90; i++ {
		at := time.Duration(i) * time.Second / 30
		if err := sess.WriteFrame(packager.Frame{Kind: packager.Video, DTS: at, PTS: at, Keyframe: i%30 == 0,
			NALUs: [][]byte{payload}, Received: now.Add(at)}); err != nil {
			tb.Fatal(err)
		}
	}
	streams := window.NewStreams()
	streams.Add(st.Window())
	tr, _ := st.Window().Track(1, false)
	seg := tr.Segments()[1]
	part, _ := seg.Part(2)
	data, _ := seg.Bytes(0)
	name := window.ObjectName{Type: window.ObjPart, Kind: "video", Epoch: seg.Init.Epoch, MSN: seg.MSN, Part: part.Index}
	return streams, name, data[part.Offset : part.Offset+part.Size]
}

// BenchmarkPartVsNginx serves one complete ~60 KB part from livetree's RAM
// window and the same bytes from nginx on tmpfs, with wrk -t2 -c100, in one
// run, and reports livetree's requests/s and bytes/s as ratios of nginx's.
func BenchmarkPartVsNginx(b *testing.B) {
	tooltest.Need(b, "nginx")
	tooltest.Need(b, "wrk")
	streams, name, part := partWindow(b, 60_000)

	d := delivery.New(delivery.Config{Streams: streams, Hop: "origin"}, zerolog.Nop())
	defer d.Close()
	srv := d.Server()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	// As ingest and cdn serve: through the fast path.
	ln, err := d.FastListener(l, nil)
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown()

	dir := b.TempDir()
	root, err := os.MkdirTemp("/dev/shm", "livetree-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(root)
	_ = os.Chmod(root, 0o755) // nginx's workers run as an unprivileged user
	obj := filepath.Join(root, "live", "bench", name.String())
	_ = os.MkdirAll(filepath.Dir(obj), 0o755)
	if err := os.WriteFile(obj, part, 0o644); err != nil {
		b.Fatal(err)
	}
	ngx, err := Nginx(dir, root, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer ngx.Stop()

	path := "/live/bench/" + name.String()
	const dur = 10 * time.Second
	ctx := context.Background()
	var ours, theirs WrkResult
	for i := 0; i < b.N; i++ {
		cpu0 := SelfCPU()
		ours, err = Wrk(ctx, "http://"+l.Addr().String()+path, 2, 100, dur)
		if err != nil {
			b.Fatal(err)
		}
		oursCPU := SelfCPU() - cpu0
		n0 := ngx.CPU()
		theirs, err = Wrk(ctx, "http://"+ngx.Addr+path, 2, 100, dur)
		if err != nil {
			b.Fatal(err)
		}
		nginxCPU := ngx.CPU() - n0
		if ours.Errors > 0 || theirs.Errors > 0 {
			b.Fatalf("errors: livetree %d, nginx %d", ours.Errors, theirs.Errors)
		}
		b.Logf("part %d bytes: livetree %.0f req/s %.2f Gbps p99 %v cpu %.1fs | nginx %.0f req/s %.2f Gbps p99 %v cpu %.1fs",
			len(part), ours.Requests, ours.BytesPerSec*8/1e9, ours.P99, oursCPU.Seconds(),
			theirs.Requests, theirs.BytesPerSec*8/1e9, theirs.P99, nginxCPU.Seconds())
	}
	b.ReportMetric(ours.Requests, "livetree-req/s")
	b.ReportMetric(theirs.Requests, "nginx-req/s")
	b.ReportMetric(ours.Requests/theirs.Requests, "req-ratio")
	b.ReportMetric(ours.BytesPerSec/theirs.BytesPerSec, "bytes-ratio")
}
