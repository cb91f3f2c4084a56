package alsa

import (
	"errors"
	"fmt"
)

// Params describes a PCM stream. Passed to OpenPlayback or OpenCapture it is
// a wish (zero fields mean "choose"); returned by [Device.Params] it is what
// the hardware runs.
type Params struct {
	// Rate is the sample rate in frames per second. The device does not
	// resample: when the hardware does not offer the wanted rate, Params
	// reports the rate it runs (48000 or 44100 preferred) and the caller
	// converts (audio/resample).
	Rate int
	// Channels is the number of interleaved channels in the int16 frames
	// passed to Read and Write; it is always what was asked for (1 if 0).
	Channels int
	// Format is the hardware sample format. As a wish, 0 means S16_LE, else
	// S32_LE, else S24_3LE.
	Format Format
	// HWChannels is the number of channels the hardware runs; the device
	// down-mixes (capture, by averaging) or up-mixes (playback, by copying)
	// between HWChannels and Channels. Ignored in a wish.
	HWChannels int
	// PeriodFrames is the number of frames between interrupts, at Rate
	// (10 ms if 0 in a wish).
	PeriodFrames int
	// BufferFrames is the size of the ring buffer in frames (4 periods if
	// 0 in a wish).
	BufferFrames int
}

// String formats p for logs.
func (p Params) String() string {
	return fmt.Sprintf("%s %d Hz %d ch (hw %d ch) period %d buffer %d",
		p.Format, p.Rate, p.Channels, p.HWChannels, p.PeriodFrames, p.BufferFrames)
}

// Stats counts what happened on a Device since it was opened.
type Stats struct {
	Frames   uint64 // frames read or written
	Xruns    uint64 // overruns (capture) or underruns (playback), each recovered by PREPARE
	Suspends uint64 // suspends (ESTRPIPE) recovered by RESUME or PREPARE
	Errors   uint64 // other failed transfers returned to the caller
}

// Card is a sound card with its PCM devices, as List reports it.
type Card struct {
	Number   int    // card index, the N of hw:N
	ID       string // card id, the name of hw:CARD=id
	Driver   string // kernel driver
	Name     string // short name
	LongName string // name with bus details
	PCMs     []PCM  // PCM devices
}

// PCM is one PCM device of a card and what each of its directions supports.
type PCM struct {
	Device   int         // device number, the DEV of hw:CARD=x,DEV=n
	ID       string      // PCM id
	Name     string      // PCM name
	Playback *Capability // nil when the device cannot play
	Capture  *Capability // nil when the device cannot capture
}

// Capability is the configuration space of one PCM direction, as HW_REFINE
// reports it for a stream nobody else holds open (nil fields when busy).
type Capability struct {
	Formats     []Format // sample formats offered
	MinRate     int      // lowest rate
	MaxRate     int      // highest rate
	MinChannels int      // fewest channels
	MaxChannels int      // most channels
	Busy        bool     // the stream was open elsewhere; ranges unknown
}

// ErrUnsupported is returned where this package cannot reach ALSA: on
// platforms other than 64-bit Linux.
var ErrUnsupported = errors.New("alsa: not supported on this platform")

// capabilityOf summarises a refined configuration space.
func capabilityOf(p *hwParams) *Capability {
	return &Capability{
		Formats:     maskFormats(p.mask(paramFormat)),
		MinRate:     int(p.interval(paramRate).lo()),
		MaxRate:     int(p.interval(paramRate).hi()),
		MinChannels: int(p.interval(paramChannels).lo()),
		MaxChannels: int(p.interval(paramChannels).hi()),
	}
}
