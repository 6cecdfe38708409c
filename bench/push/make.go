package push

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// MakeTS encodes a clip of about kbps kilobits per second of payload
// (H.264 720p30 plus 128 kbit/s AAC) lasting d into dir with ffmpeg, and
// returns its path; a clip made before with the same settings is reused.
//
// The sample in testdata is about 1 Mbit/s. A heavier stream is encoded
// rather than padded, so that the ingest and packager see real frames of
// the target size: noise over ffmpeg's test pattern keeps x264 from
// compressing below the bitrate, which is held constant (minrate = maxrate
// = bitrate). The command is:
//
//	ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t \
//	  -f lavfi -i sine=frequency=440:sample_rate=48000 -t SECONDS \
//	  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p \
//	  -b:v Vk -minrate Vk -maxrate Vk -bufsize Vk -g 30 -keyint_min 30 -sc_threshold 0 \
//	  -c:a aac -b:a 128k -ac 2 -f mpegts OUT.ts
//
// with V = kbps − 128.
func MakeTS(ctx context.Context, dir string, kbps int, d time.Duration) (string, error) {
	video := kbps - 128
	if video < 100 || d < time.Second {
		return "", fmt.Errorf("%w: clip of %d kbit/s for %v", ErrConfig, kbps, d)
	}
	secs := int(d.Round(time.Second) / time.Second)
	out := filepath.Join(dir, fmt.Sprintf("livetree-bench-%dk-%ds.ts", kbps, secs))
	if st, err := os.Stat(out); err == nil && st.Size() > 0 {
		return out, nil
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return "", errors.New("push: ffmpeg is needed to make a clip")
	}
	v := fmt.Sprintf("%dk", video)
	tmp := out + ".part"
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", fmt.Sprint(secs),
		"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
		"-b:v", v, "-minrate", v, "-maxrate", v, "-bufsize", v, "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "mpegts", tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("push: ffmpeg: %w: %s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}
