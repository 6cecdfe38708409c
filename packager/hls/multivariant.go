package hls

import (
	"strconv"

	"github.com/livetree/livetree/packager/window"
)

// audioGroup is the GROUP-ID of the audio rendition.
const audioGroup = "aud"

// renderMultivariant renders the stream's multivariant playlist with no
// Query: one variant, video with an audio rendition group when both exist,
// or whichever track the stream has.
func renderMultivariant(st *window.Stream, req Request) template {
	var video, audio *window.Track
	var vInit, aInit *window.Init
	for _, tr := range st.Tracks() {
		in := tr.Init()
		switch in.Info.Kind {
		case "video":
			video, vInit = tr, in
		case "audio":
			audio, aInit = tr, in
		}
	}
	t := template{b: make([]byte, 0, 512)}
	t.str("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	if video == nil && audio == nil {
		return t
	}
	var peak, avg int64
	var codecs string
	for _, tr := range []*window.Track{video, audio} {
		if tr == nil {
			continue
		}
		in := tr.Init()
		p, a, ok := bitrates(tr)
		if !ok {
			p, a = in.Info.GuessBitrate(), in.Info.GuessBitrate()
		}
		peak, avg = peak+p, avg+a
		if codecs != "" {
			codecs += ","
		}
		codecs += in.Info.Codec
	}
	if video != nil && audio != nil {
		t.str("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"" + audioGroup + "\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES")
		if aInit.Info.Channels > 0 {
			t.str(",CHANNELS=\"")
			t.b = strconv.AppendInt(t.b, int64(aInit.Info.Channels), 10)
			t.byte('"')
		}
		t.str(",URI=\"")
		t.playlist(aInit.Info.Kind, req.ByteRange)
		t.str("\"\n")
	}
	t.str("#EXT-X-STREAM-INF:BANDWIDTH=")
	t.b = strconv.AppendInt(t.b, peak, 10)
	t.str(",AVERAGE-BANDWIDTH=")
	t.b = strconv.AppendInt(t.b, avg, 10)
	t.str(",CODECS=\"")
	t.str(codecs)
	t.byte('"')
	main := aInit
	if video != nil {
		main = vInit
		if vInit.Info.Width > 0 && vInit.Info.Height > 0 {
			t.str(",RESOLUTION=")
			t.b = strconv.AppendInt(t.b, int64(vInit.Info.Width), 10)
			t.byte('x')
			t.b = strconv.AppendInt(t.b, int64(vInit.Info.Height), 10)
		}
		if fr := frameRate(video); fr > 0 {
			t.str(",FRAME-RATE=")
			t.b = strconv.AppendInt(t.b, fr/1000, 10)
			t.byte('.')
			t.b = append(t.b, byte('0'+fr/100%10), byte('0'+fr/10%10), byte('0'+fr%10))
		}
		if audio != nil {
			t.str(",AUDIO=\"" + audioGroup + "\"")
		}
	}
	t.byte('\n')
	t.playlist(main.Info.Kind, req.ByteRange)
	t.byte('\n')
	return t
}
