package codec

import (
	"math/bits"
	"slices"
)

// G.711 (ITU-T G.711, 11/1988), as the ITU-T software tool library G.191
// formulates it for 16-bit samples.
//
// µ-law codes a 14-bit magnitude: the sample's top 14 bits plus a bias of 33
// (0x84 at 16-bit scale), clipped to 13 bits, in 8 segments of 16 steps whose
// size doubles from one segment to the next; the code is the one's complement
// of sign, segment and step. A-law codes a 12-bit magnitude in 8 segments, the
// first two with the same step, and inverts the even bits (0x55). A negative
// sample is taken by one's complement (-x-1 has the magnitude of x), which
// makes both laws symmetric.

// ulawEncode returns the µ-law code of x. Like alawEncode, it has no
// branches, which speech would mispredict.
func ulawEncode(x int16) byte {
	neg := int32(x) >> 15 // -1 for x < 0, else 0
	v := int32(x) ^ neg   // x, or ^x for x < 0
	// The inversion of all bits, but the sign bit for x >= 0.
	mask := 0x7f | 0x80&^byte(neg)
	// The biased 14-bit magnitude, 33..8191, has 6 to 13 significant bits:
	// segment 0 to 7, whose steps are bits seg+1 to seg+4.
	v = min(v>>2+33, 0x1fff)
	seg := bits.Len32(uint32(v)) - 6
	return byte(seg<<4|int(v>>(seg+1))&0xf) ^ mask
}

// alawEncode returns the A-law code of x.
func alawEncode(x int16) byte {
	neg := int32(x) >> 15
	v := (int32(x) ^ neg) >> 4 // 11-bit magnitude, 0..2047
	// The inversion of the even bits, and the sign bit for x >= 0.
	mask := 0x55 | 0x80&^byte(neg)
	// Segments 0 and 1 (v < 32) step by 1, segment s > 1 by 2^(s-1).
	seg := bits.Len32(uint32(v)|0xf) - 4
	shift := max(seg-1, 0)
	return byte(seg<<4|int(v>>shift)&0xf) ^ mask
}

// ulawDecodeTable and alawDecodeTable map each code to the 16-bit value at
// the middle of its interval.
var ulawDecodeTable, alawDecodeTable = decodeTables()

func decodeTables() (ulaw, alaw [256]int16) {
	for c := range 256 {
		// µ-law: ((step<<3 + 0x84) << seg) - 0x84, at 16-bit scale.
		u := ^byte(c)
		seg := int32(u>>4) & 7
		mag := (int32(u&0xf)<<3+0x84)<<seg - 0x84
		if u&0x80 != 0 {
			mag = -mag
		}
		ulaw[c] = int16(mag)

		// A-law: step and half a step, shifted into the segment.
		a := byte(c) ^ 0x55
		seg = int32(a>>4) & 7
		mag = int32(a&0xf)<<4 + 8
		if seg > 0 {
			mag += 0x100
		}
		if seg > 1 {
			mag <<= seg - 1
		}
		if a&0x80 == 0 {
			mag = -mag
		}
		alaw[c] = int16(mag)
	}
	return ulaw, alaw
}

// grow extends s by n elements, reallocating only when its capacity is short,
// and returns the longer slice and the n new elements.
func grow[E any](s []E, n int) (all, tail []E) {
	l := len(s)
	s = slices.Grow(s, n)[:l+n]
	return s, s[l:]
}

// ulawEncoder is the stateless µ-law Encoder.
type ulawEncoder struct{}

// Encode appends the µ-law code of each sample of pcm to dst.
func (ulawEncoder) Encode(dst []byte, pcm []int16) []byte {
	dst, out := grow(dst, len(pcm))
	for i, x := range pcm {
		out[i] = ulawEncode(x)
	}
	return dst
}

// ulawDecoder is the stateless µ-law Decoder.
type ulawDecoder struct{}

// Decode appends the sample of each µ-law code of payload to dst.
func (ulawDecoder) Decode(dst []int16, payload []byte) []int16 {
	dst, out := grow(dst, len(payload))
	for i, c := range payload {
		out[i] = ulawDecodeTable[c]
	}
	return dst
}

// alawEncoder is the stateless A-law Encoder.
type alawEncoder struct{}

// Encode appends the A-law code of each sample of pcm to dst.
func (alawEncoder) Encode(dst []byte, pcm []int16) []byte {
	dst, out := grow(dst, len(pcm))
	for i, x := range pcm {
		out[i] = alawEncode(x)
	}
	return dst
}

// alawDecoder is the stateless A-law Decoder.
type alawDecoder struct{}

// Decode appends the sample of each A-law code of payload to dst.
func (alawDecoder) Decode(dst []int16, payload []byte) []int16 {
	dst, out := grow(dst, len(payload))
	for i, c := range payload {
		out[i] = alawDecodeTable[c]
	}
	return dst
}
