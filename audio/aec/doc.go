// Package aec is an acoustic echo canceller for a door station whose
// loudspeaker and microphone sit centimetres apart.
//
// A [Canceller] removes from the microphone signal the echo of the far-end
// signal played on the loudspeaker. It is a multi-delay block frequency
// domain adaptive filter (MDF, Soo & Pang) with the learning rate adjusted
// from the estimated residual echo (Valin, "On adjusting the learning rate in
// frequency domain echo cancellation with double-talk"), a two-path
// (foreground/background) filter for robustness in double talk, a spectral
// post-filter that suppresses the residual echo the linear filter leaves
// (a small loudspeaker's distortion, tails beyond the filter), an optional
// bulk-delay estimator that aligns the far-end signal with the microphone,
// and a half-duplex [Ducker] it falls back on when the CPU cannot keep up.
//
// The algorithm follows the one of the speex canceller (libspeexdsp), which
// is the reference it is measured against (see bench/aec). Process does not
// allocate after New.
package aec
