package push

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"github.com/livetree/livetree/packager"
)

// HTTP publishes m as an MPEG-TS body of a chunked PUT to rawURL
// (http://host:port/ingest/{stream}?key={key}), the way
// `ffmpeg -f mpegts -method PUT` does.
func HTTP(ctx context.Context, rawURL string, m *Media, loops int, st *Stats) error {
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, rawURL, pr)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	req.Header.Set("Content-Type", "video/mp2t")
	answer := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				err = fmt.Errorf("push: ingest answered %s: %s", resp.Status, body)
			}
		}
		_ = pr.CloseWithError(err)
		answer <- err
	}()

	bw := bufio.NewWriterSize(pw, 64<<10)
	video := &mpegts.Track{Codec: &tscodecs.H264{}}
	tracks := []*mpegts.Track{video}
	var audio *mpegts.Track
	if m.ASC != nil {
		audio = &mpegts.Track{Codec: &tscodecs.MPEG4Audio{Config: *m.ASC}}
		tracks = append(tracks, audio)
	}
	w := &mpegts.Writer{W: bw, Tracks: tracks}
	if err := w.Initialize(); err != nil {
		pw.CloseWithError(err)
		return fmt.Errorf("push: %w", err)
	}
	ticks := func(d time.Duration) int64 { return int64(d * 90000 / time.Second) }
	// An empty write returns once the transport reads the body, that is
	// once the connection is up and the headers are sent; the real-time
	// schedule starts there, as it does after the RTMP handshake.
	if _, err := pw.Write(nil); err != nil {
		return <-answer
	}
	err = replay(ctx, m, loops, st, func(f packager.Frame) error {
		var err error
		switch f.Kind {
		case packager.Video:
			err = w.WriteH264(video, ticks(f.PTS), ticks(f.DTS), f.NALUs)
		case packager.Audio:
			if audio != nil {
				err = w.WriteMPEG4Audio(audio, ticks(f.PTS), [][]byte{f.Data})
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("push: writing frame: %w", err)
		}
		st.frame(f)
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	pw.CloseWithError(err)
	if ansErr := <-answer; err == nil || ansErr != nil && err == ctx.Err() {
		if ansErr != nil {
			return ansErr
		}
	}
	return err
}
