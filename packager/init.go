package packager

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/livetree/livetree/packager/window"
)

// Track IDs are fixed so that a track keeps its ID across publishes.
const (
	videoTrackID = 1
	audioTrackID = 2
	videoScale   = 90000
)

func videoInit(c *VideoConfig, epoch string) (*window.Init, error) {
	if len(c.SPS) < 4 || len(c.PPS) == 0 {
		return nil, fmt.Errorf("%w: H.264 needs SPS and PPS", ErrBadConfig)
	}
	sps, err := avc.ParseSPSNALUnit(c.SPS, false)
	if err != nil {
		return nil, fmt.Errorf("%w: SPS: %v", ErrBadConfig, err)
	}
	init := mp4.CreateEmptyInit()
	trak := init.AddEmptyTrack(videoScale, "video", "und")
	if err := trak.SetAVCDescriptor("avc1", [][]byte{c.SPS}, [][]byte{c.PPS}, true); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	setTrackID(init, videoTrackID)
	data, err := encodeInit(init)
	if err != nil {
		return nil, err
	}
	return &window.Init{
		Epoch: epoch,
		Info: window.TrackInfo{
			ID:        videoTrackID,
			Kind:      Video.String(),
			Codec:     avc.CodecString("avc1", sps),
			Timescale: videoScale,
			Width:     int(sps.Width),
			Height:    int(sps.Height),
		},
		Data: data,
	}, nil
}

func audioInit(c *AudioConfig, epoch string) (*window.Init, *aac.AudioSpecificConfig, error) {
	asc, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(c.ASC))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: AudioSpecificConfig: %v", ErrBadConfig, err)
	}
	if asc.SamplingFrequency <= 0 || asc.SamplingFrequency > 96000 {
		return nil, nil, fmt.Errorf("%w: AAC sampling frequency %d", ErrBadConfig, asc.SamplingFrequency)
	}
	init := mp4.CreateEmptyInit()
	trak := init.AddEmptyTrack(uint32(asc.SamplingFrequency), "audio", "und")
	channels := uint16(asc.ChannelConfiguration)
	if channels == 0 {
		channels = 2
	}
	esds := mp4.CreateEsdsBox(c.ASC)
	entry := mp4.CreateAudioSampleEntryBox("mp4a", channels, 16, uint16(asc.SamplingFrequency), esds)
	trak.Mdia.Minf.Stbl.Stsd.AddChild(entry)
	setTrackID(init, audioTrackID)
	data, err := encodeInit(init)
	if err != nil {
		return nil, nil, err
	}
	return &window.Init{
		Epoch: epoch,
		Info: window.TrackInfo{
			ID:         audioTrackID,
			Kind:       Audio.String(),
			Codec:      fmt.Sprintf("mp4a.40.%d", asc.ObjectType),
			Timescale:  uint32(asc.SamplingFrequency),
			SampleRate: asc.SamplingFrequency,
			Channels:   int(channels),
		},
		Data: data,
	}, asc, nil
}

func setTrackID(init *mp4.InitSegment, id uint32) {
	init.Moov.Trak.Tkhd.TrackID = id
	init.Moov.Mvex.Trex.TrackID = id
	init.Moov.Mvhd.NextTrackID = id + 1
}

func encodeInit(init *mp4.InitSegment) ([]byte, error) {
	var buf bytes.Buffer
	if err := init.Encode(&buf); err != nil {
		return nil, fmt.Errorf("%w: encoding init: %v", ErrBadConfig, err)
	}
	return buf.Bytes(), nil
}
