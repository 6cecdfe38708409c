package ingest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager/window"
)

// trackBytes concatenates a track's init segment and every segment in the
// window, the way a player would fetch them.
func trackBytes(t *testing.T, st *window.Stream, kind string) (data []byte, segments int) {
	t.Helper()
	for _, tr := range st.Tracks() {
		in := tr.Init()
		if in == nil || in.Info.Kind != kind {
			continue
		}
		data = append(data, in.Data...)
		for _, seg := range tr.Segments() {
			if seg.Init != nil && seg.Init.Epoch != in.Epoch {
				t.Fatalf("%s segment %d belongs to another publish", kind, seg.MSN)
			}
			b, _ := seg.Bytes(0)
			data = append(data, b...)
			segments++
		}
		return data, segments
	}
	t.Fatalf("stream %s has no %s track", st.Name(), kind)
	return nil, 0
}

// checkPlayable writes a track's bytes to a file and checks, with the real
// tools, that ffprobe accepts it silently, that ffmpeg decodes it without a
// single error, that its packets' decode times increase, and returns the
// number of packets.
func checkPlayable(t *testing.T, data []byte, kind string) int {
	t.Helper()
	ffprobe := tooltest.Need(t, "ffprobe")
	ffmpeg := tooltest.Need(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), kind+".mp4")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(bin string, args ...string) (stdout string) {
		t.Helper()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || errb.Len() > 0 {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	run(ffprobe, "-v", "error", path)
	run(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-")
	out := run(ffprobe, "-v", "error", "-select_streams", "0", "-show_entries", "packet=dts", "-of", "csv=p=0", path)
	var last int64 = -1 << 62
	n := 0
	for _, line := range strings.Fields(out) {
		line = strings.TrimSuffix(line, ",")
		dts, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			t.Fatalf("%s packet %d: dts %q", kind, n, line)
		}
		if dts <= last {
			t.Fatalf("%s packet %d: dts %d after %d", kind, n, dts, last)
		}
		last = dts
		n++
	}
	return n
}

// checkWindow checks that a stream's window holds playable video and audio
// with about the frame counts given: at most one segment's worth fewer,
// for frames a publisher sent before its session could start or that sit
// in an open segment.
func checkWindow(t *testing.T, st *window.Stream, video, audio int) {
	t.Helper()
	for _, c := range []struct {
		kind      string
		want, tol int
	}{
		{"video", video, 30},
		{"audio", audio, 48},
	} {
		data, segs := trackBytes(t, st, c.kind)
		if segs == 0 {
			t.Fatalf("no %s segments", c.kind)
		}
		n := checkPlayable(t, data, c.kind)
		if n > c.want+2 || n < c.want-c.tol {
			t.Errorf("%s: %d frames in %d segments, want %d (-%d)", c.kind, n, segs, c.want, c.tol)
		} else {
			t.Logf("%s: %d frames in %d segments, %d bytes", c.kind, n, segs, len(data))
		}
	}
}
