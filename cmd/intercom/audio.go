package main

import (
	"errors"
	"io"
	"log/slog"

	"intercom/audio"
	"intercom/audio/aec"
	_ "intercom/audio/alsa" // the alsa: devices
	"intercom/sipua"
	"intercom/sipua/media"
)

// callAudio moves a call's audio until the call ends, in one loop clocked
// by the capture device: a frame from the microphone goes to the stream,
// and a frame from the stream to the speaker, so that both stay in step.
// A device that cannot be opened is replaced by the null device, and a
// WAV source that ends by silence, so the call goes on either way.
func callAudio(c *sipua.Call, a *Audio, log *slog.Logger) {
	m, ok := c.Media().(*media.Call)
	if !ok {
		return
	}
	s := m.Stream()
	n := s.FrameSamples()
	rate := n * int(1e9/media.FrameDuration.Nanoseconds())
	src, err := audio.OpenSource(a.Source, rate)
	if err != nil {
		log.Warn("capture device unusable, sending silence", "err", err)
		src = audio.NewNull()
	}
	defer func() { src.Close() }()
	sink, err := audio.OpenSink(a.Sink, rate)
	if err != nil {
		log.Warn("playback device unusable, discarding the far end", "err", err)
		sink = audio.NewNull()
	}
	defer func() { sink.Close() }()
	mic, far, out := make([]int16, n), make([]int16, 0, n), make([]int16, n)
	var echo *aec.Canceller
	if a.EchoCancel {
		// Over budget (a slow board), it falls back to half-duplex.
		echo = aec.New(aec.Config{SampleRate: rate, FrameSamples: n, EstimateDelay: true, Budget: media.FrameDuration / 2})
	}
	for {
		select {
		case <-c.Done():
			return
		default:
		}
		if err := src.ReadFrame(mic); err != nil {
			if !errors.Is(err, io.EOF) {
				log.Warn("capture failed, sending silence", "err", err)
			}
			src.Close()
			src = audio.NewNull()
			continue
		}
		far = s.ReadFrame(far)
		if err := sink.WriteFrame(far); err != nil {
			log.Warn("playback failed, discarding the far end", "err", err)
			sink.Close()
			sink = audio.NewNull()
		}
		if echo != nil {
			echo.Process(mic, far, out)
			_ = s.WriteFrame(out)
			continue
		}
		_ = s.WriteFrame(mic)
	}
}
