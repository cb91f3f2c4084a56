//go:build oto

package main

import (
	"intercom/audio"
	"intercom/audio/oto"
)

// With the oto build tag the "oto" playback device plays through
// alsa-lib's default PCM (dmix, PulseAudio or PipeWire plugins).
func init() {
	audio.Register("oto", audio.Backend{
		OpenSink: func(_ string, f audio.Format) (audio.Sink, error) { return oto.Open(f.Rate) },
	})
}
