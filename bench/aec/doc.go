// Package aec compares intercom/audio/aec with the speex echo canceller
// (libspeexdsp, through cgo) on the scenarios of intercom/audio/aec/aectest.
// It is a module of its own so that the firmware stays cgo-free.
//
// It needs libspeexdsp-dev (/usr/include/speex/speex_echo.h); without it the
// tests skip, unless CI=true, where they fail.
package aec
