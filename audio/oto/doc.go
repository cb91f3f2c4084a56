// Package oto plays audio through the ALSA library (alsa-lib) with
// github.com/hajimehoshi/oto/v2, for boards whose sound must go through
// alsa-lib's plugins (dmix, PulseAudio or PipeWire) rather than straight to
// the kernel's PCM device, which the pure-Go ALSA backend drives.
//
// It needs cgo and alsa-lib's headers (Debian: libasound2-dev), so every
// file but this one builds only with the build tag oto:
//
//	CGO_ENABLED=1 go build -tags oto -o bin/intercom-oto ./cmd/intercom
//	CGO_ENABLED=1 go test -tags oto ./audio/oto/
//
// Without the tag the package is empty, and the static cgo-free firmware
// links no part of oto or alsa-lib.
//
// With the tag, Open returns a Sink that plays 16-bit mono frames on alsa-lib's
// "default" PCM. oto runs one output stream per process at one rate: every Sink
// of the process shares it, and the sinks open at once are mixed.
package oto
