// Package audio will hold audio I/O and DSP: ALSA capture and playback in pure
// Go, an oto backend, WAV and null devices, the codecs (G.711, G.722), a
// resampler, the echo canceller and tone generators. Sub-packages such as
// audio/alsa and audio/codec will split it where a folder outgrows one job.
package audio
