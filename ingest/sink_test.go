package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livetree/livetree/packager"
)

var (
	testSPS  = []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9}
	testSPS2 = []byte{0x67, 0x64, 0x00, 0x1f, 0xac}
	testPPS  = []byte{0x68, 0xce, 0x3c, 0x80}
	testAUD  = []byte{0x09, 0xf0}
	testIDR  = []byte{0x65, 0x88, 0x84}
	testP    = []byte{0x41, 0x9a, 0x02}
	testASC  = []byte{0x11, 0x90}
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestSinkWaitsForConfigAndKeyframe(t *testing.T) {
	s, fs, _ := newTestSink(t, protoTS)
	s.expect(true, true)
	s.setAudioConfig(testASC)
	now := time.Now()
	steps := []struct {
		name string
		do   func() error
	}{
		{"audio before video config", func() error { return s.writeAudio(ms(0), []byte{1}, now) }},
		{"P frame without config", func() error { return s.writeVideo(ms(0), ms(0), [][]byte{testAUD, testP}, now) }},
		{"IDR with in-band config", func() error {
			return s.writeVideo(ms(33), ms(66), [][]byte{testAUD, testSPS, testPPS, testIDR}, now)
		}},
		{"audio", func() error { return s.writeAudio(ms(40), []byte{2}, now) }},
		{"P frame", func() error { return s.writeVideo(ms(66), ms(99), [][]byte{testAUD, testP}, now) }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	pubs, frames, _, _ := fs.snapshot()
	if len(pubs) != 1 {
		t.Fatalf("%d publishes, want 1", len(pubs))
	}
	if !bytes.Equal(pubs[0].Video.SPS, testSPS) || !bytes.Equal(pubs[0].Video.PPS, testPPS) ||
		!bytes.Equal(pubs[0].Audio.ASC, testASC) {
		t.Errorf("published tracks %+v", pubs[0])
	}
	if len(frames) != 3 {
		t.Fatalf("%d frames, want 3 (IDR, audio, P)", len(frames))
	}
	idr := frames[0]
	if !idr.Keyframe || len(idr.NALUs) != 1 || !bytes.Equal(idr.NALUs[0], testIDR) {
		t.Errorf("first frame %+v: want the IDR alone, parameter sets and AUD stripped", idr)
	}
	if idr.DTS != ms(33) || idr.PTS != ms(66) {
		t.Errorf("IDR timestamps %v/%v", idr.DTS, idr.PTS)
	}
	if frames[2].Keyframe || len(frames[2].NALUs) != 1 {
		t.Errorf("P frame %+v", frames[2])
	}
}

func TestSinkRestartsOnNewConfig(t *testing.T) {
	s, fs, _ := newTestSink(t, protoRTMP)
	s.expect(true, false)
	s.setVideoConfig(testSPS, testPPS)
	now := time.Now()
	write := func(dts int, au ...[]byte) {
		t.Helper()
		if err := s.writeVideo(ms(dts), ms(dts), au, now); err != nil {
			t.Fatal(err)
		}
	}
	write(0, testIDR)
	write(33, testP)
	write(66, testSPS, testPPS, testIDR) // same config: no restart
	write(100, testSPS2, testPPS)        // new config announced alone (RTMP sequence header)
	write(133, testP)                    // dropped: waits for a keyframe
	write(166, testIDR)
	pubs, frames, closes, _ := fs.snapshot()
	if len(pubs) != 2 || closes != 1 {
		t.Fatalf("%d publishes and %d closes, want 2 and 1", len(pubs), closes)
	}
	if !bytes.Equal(pubs[1].Video.SPS, testSPS2) {
		t.Errorf("second publish has SPS %x", pubs[1].Video.SPS)
	}
	if len(frames) != 4 {
		t.Errorf("%d frames, want 4", len(frames))
	}
	s.close()
	if _, _, closes, _ := fs.snapshot(); closes != 2 {
		t.Errorf("close: %d sessions closed, want 2", closes)
	}
}

func TestSinkFrameErrors(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		fatal    bool
		badCount uint64
	}{
		{"bad frame goes on", fmt.Errorf("%w: absurd timestamp", packager.ErrBadFrame), false, 1},
		{"closed is fatal", packager.ErrClosed, true, 0},
		{"other is fatal", errors.New("boom"), true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, fs, st := newTestSink(t, protoFMP4)
			s.expect(false, true)
			s.setAudioConfig(testASC)
			fs.writeErr = func(packager.Frame) error { return c.err }
			err := s.writeAudio(0, []byte{1}, time.Now())
			if (err != nil) != c.fatal {
				t.Fatalf("error %v, fatal=%v", err, c.fatal)
			}
			if got := st.BadFrames.Load(); got != c.badCount {
				t.Errorf("%d bad frames counted, want %d", got, c.badCount)
			}
		})
	}
}

func TestSinkGivesUpWithoutConfig(t *testing.T) {
	s, fs, _ := newTestSink(nil, protoTS)
	s.expect(true, true)
	s.setAudioConfig(testASC)
	var err error
	for i := 0; i <= maxWaitFrames && err == nil; i++ {
		err = s.writeVideo(ms(i), ms(i), [][]byte{testIDR}, time.Now())
	}
	if !errors.Is(err, ErrBadMedia) {
		t.Fatalf("error %v, want ErrBadMedia", err)
	}
	if pubs, _, _, _ := fs.snapshot(); len(pubs) != 0 {
		t.Errorf("published without SPS/PPS")
	}
}
