// Package alsa plays and captures audio through the Linux kernel's ALSA PCM
// interface directly, in pure Go: no cgo and no alsa-lib. It speaks the ioctl
// ABI of include/uapi/sound/asound.h on /dev/snd/pcmC<card>D<dev>p|c and lists
// cards through /dev/snd/controlC<card>.
//
// A [Device] always exchanges interleaved int16 frames with its caller, with
// the channel count the caller asked for; it converts to and from the sample
// format and channel count the hardware accepts (S16_LE, S32_LE or S24_3LE;
// any channel count, down-mixed by averaging or up-mixed by copying) without
// allocating. The sample rate is not converted here: [Device.Params] reports
// the rate the hardware runs at, and a caller that wanted another rate wraps
// the device in a resampler (audio/resample).
//
// The ioctl structures are laid out for 64-bit (LP64) Linux with the generic
// ioctl number encoding: arm64, amd64, riscv64 and loong64. Elsewhere the
// package compiles, and Open* and List return [ErrUnsupported].
package alsa
