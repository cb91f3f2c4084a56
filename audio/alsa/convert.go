package alsa

import "encoding/binary"

// Sample conversion between the caller's interleaved int16 frames and the
// hardware's format and channel count. Neither direction allocates.
//
// Channel mapping, the same both ways: when the source has more channels
// than the destination, destination channel o is the average of source
// channels o, o+out, o+2*out, ... (so stereo to mono averages L and R); when
// it has fewer or as many, destination channel o copies source channel
// o mod in (so mono to stereo duplicates).

// loadSample reads one sample of format f from b, scaled to 16 bits
// (truncating the low bits of wider formats).
func loadSample(b []byte, f Format) int32 {
	switch f {
	case FormatS16LE:
		return int32(int16(binary.LittleEndian.Uint16(b)))
	case FormatS32LE:
		return int32(binary.LittleEndian.Uint32(b)) >> 16
	case FormatS24_3LE:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8 // sign-extended 24-bit
		return v >> 8
	}
	return 0
}

// storeSample writes the 16-bit sample v to b in format f, in the high bits
// of wider formats.
func storeSample(b []byte, f Format, v int16) {
	switch f {
	case FormatS16LE:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case FormatS32LE:
		binary.LittleEndian.PutUint32(b, uint32(int32(v)<<16))
	case FormatS24_3LE:
		u := uint32(int32(v) << 8)
		b[0], b[1], b[2] = byte(u), byte(u>>8), byte(u>>16)
	}
}

// encodeFrames converts interleaved int16 frames of ch channels in src to
// frames of hwch channels in format f in dst. It converts as many whole frames
// as both hold and returns their number.
func encodeFrames(dst []byte, src []int16, f Format, ch, hwch int) int {
	bps := f.bytesPerSample()
	frameBytes := bps * hwch
	n := min(len(src)/ch, len(dst)/frameBytes)
	if f == FormatS16LE && ch == hwch {
		for i, s := range src[:n*ch] {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(s))
		}
		return n
	}
	for i := 0; i < n; i++ {
		in := src[i*ch : i*ch+ch]
		out := dst[i*frameBytes : i*frameBytes+frameBytes]
		for o := 0; o < hwch; o++ {
			var v int16
			if ch > hwch {
				var sum, cnt int32
				for c := o; c < ch; c += hwch {
					sum += int32(in[c])
					cnt++
				}
				v = int16(sum / cnt)
			} else {
				v = in[o%ch]
			}
			storeSample(out[o*bps:], f, v)
		}
	}
	return n
}

// decodeFrames converts frames of hwch channels in format f in src to
// interleaved int16 frames of ch channels in dst. It converts as many whole
// frames as both hold and returns their number.
func decodeFrames(dst []int16, src []byte, f Format, hwch, ch int) int {
	bps := f.bytesPerSample()
	frameBytes := bps * hwch
	n := min(len(dst)/ch, len(src)/frameBytes)
	if f == FormatS16LE && ch == hwch {
		for i := range dst[:n*ch] {
			dst[i] = int16(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return n
	}
	for i := 0; i < n; i++ {
		in := src[i*frameBytes : i*frameBytes+frameBytes]
		out := dst[i*ch : i*ch+ch]
		for o := range out {
			if hwch > ch {
				var sum, cnt int32
				for c := o; c < hwch; c += ch {
					sum += loadSample(in[c*bps:], f)
					cnt++
				}
				out[o] = int16(sum / cnt)
			} else {
				out[o] = int16(loadSample(in[(o%hwch)*bps:], f))
			}
		}
	}
	return n
}
