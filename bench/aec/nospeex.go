//go:build !(cgo && speex)

package aec

// haveSpeex is false: build with CGO_ENABLED=1 and -tags speex (and
// libspeexdsp-dev installed) for the comparison.
const haveSpeex = false

type speex struct{}

func newSpeex(rate, frame, tail, noiseSuppress int) *speex { return &speex{} }

func (s *speex) process(mic, far, out []int16) {}

func (s *speex) close() {}
