// Package audio is the firmware's audio I/O and DSP: the device interfaces
// (Source and Sink of fixed 20 ms frames of 16-bit mono PCM), the null and WAV
// devices, and a registry of backends that config strings such as "null",
// "wav:FILE", "alsa:DEVICE" or "oto" name.
//
// Sub-packages do one job each: audio/wav (WAV files), audio/resample
// (polyphase rate conversion), audio/tone (ringback, busy, error, chime,
// prompts), audio/level (peak and RMS meters), audio/codec (G.711, G.722),
// audio/aec (echo cancellation), and the sound-card backends audio/alsa and
// audio/oto, which register themselves with Register from an init function so
// that this package never imports them:
//
//	import _ "intercom/audio/alsa" // makes "alsa:..." open
//
// Every device is used from one goroutine at a time; the frame paths allocate
// nothing once a device is open.
package audio
