package hls

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// serve is a minimal origin over a window: playlists from a Renderer and
// objects by name, with byte ranges.
func serve(t *testing.T, st *window.Stream) *httptest.Server {
	r := NewRenderer()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		name, ok := strings.CutPrefix(q.URL.Path, "/live/live/")
		if !ok {
			http.NotFound(w, q)
			return
		}
		v := q.URL.Query()
		req, err := ParseRequest(v.Get("_HLS_msn"), v.Get("_HLS_part"), v.Get("_HLS_skip"), v.Get("lt_byterange"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch name {
		case "index.m3u8":
			w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
			w.Write(r.Multivariant(st, req))
			return
		case "video.m3u8", "audio.m3u8":
			id, _ := window.TrackIDOf(strings.TrimSuffix(name, ".m3u8"))
			tr, _ := st.Track(id, false)
			w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
			w.Write(r.Media(st, tr, req))
			return
		}
		n, err := window.ParseObjectName(name)
		if err != nil {
			http.NotFound(w, q)
			return
		}
		id, _ := window.TrackIDOf(n.Kind)
		tr, _ := st.Track(id, false)
		var body []byte
		switch n.Type {
		case window.ObjInit:
			if in := tr.InitByEpoch(n.Epoch); in != nil {
				body = in.Data
			}
		case window.ObjSegment, window.ObjPart:
			seg, ok := tr.Segment(n.MSN)
			if !ok || seg.Init.Epoch != n.Epoch {
				break
			}
			data, _ := seg.Bytes(0)
			body = data
			if n.Type == window.ObjPart {
				p, ok := seg.Part(n.Part)
				if !ok {
					body = nil
					break
				}
				body = data[p.Offset : p.Offset+p.Size]
			}
		}
		if body == nil {
			http.NotFound(w, q)
			return
		}
		http.ServeContent(w, q, name, time.Time{}, bytes.NewReader(body))
	}))
}

// TestFFmpegPlays has ffmpeg read an ended stream through the multivariant
// playlist, with part and byte-range URIs, and decode every frame.
func TestFFmpegPlays(t *testing.T) {
	ffmpeg := tooltest.Need(t, "ffmpeg")
	st := packagertest.Recorded(t, 1).Replay(t, 0)
	st.End()
	srv := serve(t, st)
	defer srv.Close()
	for _, tc := range []struct{ name, query string }{
		{"plain", ""},
		{"byterange", "?lt_byterange=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(ffmpeg, "-v", "error", "-i", srv.URL+"/live/live/index.m3u8"+tc.query,
				"-map", "0:v", "-map", "0:a", "-f", "null", "-")
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Fatalf("ffmpeg: %v\n%s", err, out)
			}
			probe := exec.Command(tooltest.Need(t, "ffprobe"), "-v", "error", "-count_frames", "-show_entries",
				"stream=codec_name,nb_read_frames", "-of", "csv=p=0", srv.URL+"/live/live/video.m3u8"+tc.query)
			out, err = probe.CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, out)
			}
			// ffprobe prints the stream once under its program and once alone.
			if got := strings.Fields(string(out)); len(got) == 0 || got[len(got)-1] != "h264,300" {
				t.Fatalf("ffprobe video.m3u8: %q, want h264,300", got)
			}
		})
	}
}
