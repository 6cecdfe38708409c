package delivery

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
)

// TestFFmpegPlays checks that ffmpeg reads five seconds of the live stream
// through the LL-HLS playlists and the LL-DASH manifest and decodes them
// without an error.
func TestFFmpegPlays(t *testing.T) {
	ffmpeg := tooltest.Need(t, "ffmpeg")
	f, _ := shared(t)
	for _, entry := range []string{"index.m3u8", "manifest.mpd"} {
		t.Run(entry, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-i", f.base+"/live/s/"+entry,
				"-t", "5", "-f", "null", "-")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, stderr.Bytes())
			}
			if stderr.Len() > 0 {
				t.Fatalf("ffmpeg reported errors:\n%s", stderr.Bytes())
			}
			t.Logf("ffmpeg read 5 s of %s in %v", entry, time.Since(start).Round(time.Millisecond))
		})
	}
}
