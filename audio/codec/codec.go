package codec

import (
	"strings"
	"time"
)

// Encoder turns 16-bit PCM into a codec's payload.
type Encoder interface {
	// Encode appends the payload for pcm to dst and returns it. It allocates nothing when dst has the capacity.
	Encode(dst []byte, pcm []int16) []byte
}

// Decoder turns a payload back into 16-bit PCM.
type Decoder interface {
	// Decode appends the samples of payload to dst and returns it. It allocates nothing when dst has the capacity.
	Decode(dst []int16, payload []byte) []int16
}

// Codec describes an RTP audio codec.
type Codec struct {
	Name        string // as in an SDP rtpmap: "PCMU", "PCMA", "G722"
	PayloadType uint8  // static RTP payload type: 0, 8, 9
	ClockRate   int    // RTP timestamp rate: 8000, also for G.722 (RFC 3551 §4.5.2)
	SampleRate  int    // PCM sample rate: 8000, or 16000 for G.722
	NewEncoder  func() Encoder
	NewDecoder  func() Decoder
}

// PCMU is G.711 µ-law: 8 kHz PCM, one byte a sample, static payload type 0.
var PCMU = Codec{
	Name:        "PCMU",
	PayloadType: 0,
	ClockRate:   8000,
	SampleRate:  8000,
	NewEncoder:  func() Encoder { return ulawEncoder{} },
	NewDecoder:  func() Decoder { return ulawDecoder{} },
}

// PCMA is G.711 A-law: 8 kHz PCM, one byte a sample, static payload type 8.
var PCMA = Codec{
	Name:        "PCMA",
	PayloadType: 8,
	ClockRate:   8000,
	SampleRate:  8000,
	NewEncoder:  func() Encoder { return alawEncoder{} },
	NewDecoder:  func() Decoder { return alawDecoder{} },
}

// G722 is G.722 at 64 kbit/s: 16 kHz PCM, one byte for two samples, static
// payload type 9. Its RTP clock runs at 8000 Hz all the same, an error in RFC
// 1890 that RFC 3551 §4.5.2 keeps for compatibility.
var G722 = Codec{
	Name:        "G722",
	PayloadType: 9,
	ClockRate:   8000,
	SampleRate:  16000,
	NewEncoder:  func() Encoder { return newG722Encoder() },
	NewDecoder:  func() Decoder { return newG722Decoder() },
}

// Lookup returns the codec of an SDP rtpmap encoding name ("PCMU", "PCMA",
// "G722"), compared without regard to case, and whether there is one.
func Lookup(name string) (Codec, bool) {
	for _, c := range [...]*Codec{&PCMU, &PCMA, &G722} {
		if strings.EqualFold(name, c.Name) {
			return *c, true
		}
	}
	return Codec{}, false
}

// FrameSamples returns the PCM samples of a frame of d (20 ms: 160 at 8 kHz,
// 320 at 16 kHz), rounded down to a whole sample.
func (c Codec) FrameSamples(d time.Duration) int {
	return int(int64(d) * int64(c.SampleRate) / int64(time.Second))
}

// FrameTicks returns the RTP timestamp ticks of a frame of d (160 for 20 ms,
// for all three), rounded down to a whole tick.
func (c Codec) FrameTicks(d time.Duration) uint32 {
	return uint32(int64(d) * int64(c.ClockRate) / int64(time.Second))
}
