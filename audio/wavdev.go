package audio

import (
	"errors"

	"intercom/audio/wav"
)

// The "wav:FILE" devices. A capture device plays the file in a loop, paced
// like a microphone, resampled and mixed down to the call's format; a
// playback device records 16-bit mono at the call's rate.
func init() {
	Register("wav", Backend{
		OpenSource: func(arg string, f Format) (Source, error) {
			if arg == "" {
				return nil, errors.New("wav: name a file")
			}
			return wav.Open(arg, f.Rate, wav.Options{Loop: true, Paced: true})
		},
		OpenSink: func(arg string, f Format) (Sink, error) {
			if arg == "" {
				return nil, errors.New("wav: name a file")
			}
			return wav.Create(arg, f.Rate, wav.Options{Paced: true})
		},
	})
}
