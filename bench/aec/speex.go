//go:build cgo && speex

package aec

/*
#cgo LDFLAGS: -lspeexdsp
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static void *pp_setup(SpeexPreprocessState *pp, SpeexEchoState *st, int noise_suppress) {
	spx_int32_t v = noise_suppress;
	speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
	speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &v);
	return 0;
}
*/
import "C"

import "unsafe"

// haveSpeex is true when the package was built against libspeexdsp.
const haveSpeex = true

// speex is the speex canceller: speex_echo_cancellation followed by
// speex_preprocess_run with the echo state (its residual echo suppressor).
type speex struct {
	st    *C.SpeexEchoState
	pp    *C.SpeexPreprocessState
	frame int
}

// newSpeex returns a speex canceller; noiseSuppress is the preprocessor's
// noise attenuation in dB (0 leaves background noise alone, so that only
// echo is suppressed).
func newSpeex(rate, frame, tail, noiseSuppress int) *speex {
	s := &speex{frame: frame}
	s.st = C.speex_echo_state_init(C.int(frame), C.int(tail))
	r := C.int(rate)
	C.speex_echo_ctl(s.st, C.SPEEX_ECHO_SET_SAMPLING_RATE, unsafe.Pointer(&r))
	s.pp = C.speex_preprocess_state_init(C.int(frame), C.int(rate))
	C.pp_setup(s.pp, s.st, C.int(noiseSuppress))
	return s
}

func (s *speex) process(mic, far, out []int16) {
	C.speex_echo_cancellation(s.st, (*C.spx_int16_t)(unsafe.Pointer(&mic[0])),
		(*C.spx_int16_t)(unsafe.Pointer(&far[0])), (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
	C.speex_preprocess_run(s.pp, (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
}

func (s *speex) close() {
	C.speex_preprocess_state_destroy(s.pp)
	C.speex_echo_state_destroy(s.st)
}
