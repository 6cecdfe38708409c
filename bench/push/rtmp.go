package push

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/bluenviron/gortmplib"
	rtmpcodecs "github.com/bluenviron/gortmplib/pkg/codecs"

	"github.com/livetree/livetree/packager"
)

// RTMP publishes m to rawURL (rtmp://host:port/live/{stream}?key={key}) in
// real time for loops loops (0 for ever, until ctx ends).
func RTMP(ctx context.Context, rawURL string, m *Media, loops int, st *Stats) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	c := &gortmplib.Client{URL: u, Publish: true}
	if err := c.Initialize(ctx); err != nil {
		return fmt.Errorf("push: connecting %s: %w", u.Host, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()

	video := &gortmplib.Track{Codec: &rtmpcodecs.H264{SPS: m.Tracks.Video.SPS, PPS: m.Tracks.Video.PPS}}
	tracks := []*gortmplib.Track{video}
	var audio *gortmplib.Track
	if m.ASC != nil {
		audio = &gortmplib.Track{Codec: &rtmpcodecs.MPEG4Audio{Config: m.ASC}}
		tracks = append(tracks, audio)
	}
	_ = c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	w := &gortmplib.Writer{Conn: c, Tracks: tracks}
	if err := w.Initialize(); err != nil {
		return fmt.Errorf("push: starting publish: %w", err)
	}
	_ = c.NetConn().SetReadDeadline(time.Time{})
	// The ingest never sends much back, but a peer that stops reading must
	// not hang the publisher for ever.
	return replay(ctx, m, loops, st, func(f packager.Frame) error {
		_ = c.NetConn().SetWriteDeadline(time.Now().Add(5 * time.Second))
		var err error
		switch f.Kind {
		case packager.Video:
			err = w.WriteH264(video, f.PTS, f.DTS, f.NALUs)
		case packager.Audio:
			if audio != nil {
				err = w.WriteMPEG4Audio(audio, f.PTS, f.Data)
			}
		}
		if err != nil {
			return fmt.Errorf("push: writing frame: %w", err)
		}
		st.frame(f)
		return nil
	})
}
