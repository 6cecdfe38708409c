package window

import "testing"

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestTrackChanged checks that a track's readers wake for its own chunks
// and the stream's end, and not for another track's chunks.
func TestTrackChanged(t *testing.T) {
	_, st, video := newTestTrack(t, 0)
	audio, _ := st.Track(2, true)
	audio.SetInit(&Init{Epoch: "e1", Info: TrackInfo{ID: 2, Kind: "audio", Timescale: 1000}})

	v, s := video.Changed(), st.Changed()
	fillTrack(t, audio, 0, 1)
	if closed(v) {
		t.Error("an audio chunk woke the video track's readers")
	}
	if !closed(s) {
		t.Error("an audio chunk did not wake the stream's readers")
	}

	fillTrack(t, video, 0, 1)
	if !closed(v) {
		t.Error("a video chunk did not wake the video track's readers")
	}

	v, a := video.Changed(), audio.Changed()
	st.End()
	if !closed(v) || !closed(a) {
		t.Errorf("the stream's end woke video %v, audio %v; want both", closed(v), closed(a))
	}
}
