package codec

import (
	"testing"
)

// The references below follow the classic public-domain g711.c of Sun
// Microsystems: a magnitude with the bias added, a search of the segment
// ends, and a shift by the segment. Our encoders count bits instead. Sun's
// µ-law, in its later form, takes a negative sample's magnitude by two's
// complement after cutting it to 14 bits, which moves 508 negative inputs at
// step boundaries to the neighbouring code; G.191 and spandsp take it by one's
// complement (BIAS - x - 1 below), which keeps the law symmetric, and so
// does refULaw.

// refULaw is the µ-law code of x, after Sun's g711.c with one's complement.
func refULaw(x int16) byte {
	const bias = 0x84
	segEnd := [8]int{0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff}
	v, mask := int(x)+bias, 0xff
	if x < 0 {
		v, mask = bias-int(x)-1, 0x7f
	}
	seg := 0
	for seg < 8 && v > segEnd[seg] {
		seg++
	}
	if seg == 8 { // clip
		return byte(0x7f ^ mask)
	}
	return byte((seg<<4 | (v>>(seg+3))&0xf) ^ mask)
}

// refALaw is the A-law code of x, after Sun's g711.c.
func refALaw(x int16) byte {
	segEnd := [8]int{0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff}
	v, mask := int(x)>>3, 0xd5
	if v < 0 {
		v, mask = -v-1, 0x55
	}
	seg := 0
	for seg < 8 && v > segEnd[seg] {
		seg++
	}
	if seg == 8 {
		return byte(0x7f ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0xf
	} else {
		a |= (v >> seg) & 0xf
	}
	return byte(a ^ mask)
}

// refULawDecode and refALawDecode are Sun's ulaw2linear and alaw2linear.
func refULawDecode(c byte) int16 {
	u := ^int(c)
	t := (u&0xf)<<3 + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func refALawDecode(c byte) int16 {
	a := int(c) ^ 0x55
	t := (a & 0xf) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

var laws = []struct {
	name   string
	enc    func(int16) byte
	ref    func(int16) byte
	table  *[256]int16
	refDec func(byte) int16
}{
	{"PCMU", ulawEncode, refULaw, &ulawDecodeTable, refULawDecode},
	{"PCMA", alawEncode, refALaw, &alawDecodeTable, refALawDecode},
}

// TestG711EncodeAll checks every 16-bit sample against the reference, and
// that the laws are symmetric: -x-1 codes as x with the sign bit cleared.
func TestG711EncodeAll(t *testing.T) {
	for _, law := range laws {
		bad := 0
		for i := -32768; i <= 32767; i++ {
			x := int16(i)
			got, want := law.enc(x), law.ref(x)
			if got != want {
				if bad++; bad <= 10 {
					t.Errorf("%s: encode(%d) = %#02x, want %#02x", law.name, x, got, want)
				}
			}
			if x >= 0 && law.enc(^x) != got&^0x80 {
				t.Errorf("%s: encode(%d) = %#02x, not encode(%d) = %#02x less the sign bit", law.name, ^x, law.enc(^x), x, got)
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of 65536 samples encode wrong", law.name, bad)
		}
	}
}

// TestG711Vectors checks codes that the standard fixes: zero, the smallest
// steps and the clipping points.
func TestG711Vectors(t *testing.T) {
	tests := []struct {
		law  string
		x    int16
		code byte
	}{
		{"PCMU", 0, 0xff}, {"PCMU", -1, 0x7f}, {"PCMU", 8, 0xfe}, {"PCMU", -9, 0x7e},
		{"PCMU", 32124, 0x80}, {"PCMU", 32767, 0x80}, {"PCMU", -32768, 0x00},
		{"PCMA", 0, 0xd5}, {"PCMA", -1, 0x55}, {"PCMA", 16, 0xd4}, {"PCMA", -17, 0x54},
		{"PCMA", 32767, 0xaa}, {"PCMA", -32768, 0x2a},
	}
	for _, tt := range tests {
		enc := ulawEncode
		if tt.law == "PCMA" {
			enc = alawEncode
		}
		if got := enc(tt.x); got != tt.code {
			t.Errorf("%s: encode(%d) = %#02x, want %#02x", tt.law, tt.x, got, tt.code)
		}
	}
}

// TestG711Decode checks the decode tables against the reference and that
// decoding then encoding gives back every code. The only exception is µ-law's
// negative zero, 0x7f, which decodes to 0 like 0xff, whose code 0 takes.
func TestG711Decode(t *testing.T) {
	for _, law := range laws {
		for c := range 256 {
			code := byte(c)
			if got, want := law.table[code], law.refDec(code); got != want {
				t.Errorf("%s: decode(%#02x) = %d, want %d", law.name, code, got, want)
			}
			want := code
			if law.name == "PCMU" && code == 0x7f {
				want = 0xff
			}
			if got := law.enc(law.table[code]); got != want {
				t.Errorf("%s: encode(decode(%#02x)) = %#02x, want %#02x", law.name, code, got, want)
			}
		}
		// The decoded value never decreases as the input grows.
		prev := law.table[law.enc(-32768)]
		for i := -32767; i <= 32767; i++ {
			v := law.table[law.enc(int16(i))]
			if v < prev {
				t.Fatalf("%s: decode(encode(%d)) = %d < decode(encode(%d)) = %d", law.name, i, v, i-1, prev)
			}
			prev = v
		}
	}
}

// TestG711SNR measures the signal-to-noise ratio of sines at several levels
// and of a speech-like signal. G.711 holds about 38 dB over its range,
// falling below -30 dBFS as the steps stop shrinking. Measured (dB):
//
//	signal           PCMU   PCMA
//	1004 Hz   0 dBFS 38.31  38.96
//	1004 Hz  -3 dBFS 37.69  37.86
//	1004 Hz -10 dBFS 37.17  36.41
//	1004 Hz -20 dBFS 38.17  38.37
//	1004 Hz -30 dBFS 34.88  36.78
//	1004 Hz -40 dBFS 35.25  34.18
//	1004 Hz -50 dBFS 30.11  24.33
//	 300 Hz -10 dBFS 37.46  36.40
//	3000 Hz -10 dBFS 40.94  40.32
//	speech-like      37.56  37.65
func TestG711SNR(t *testing.T) {
	tests := []struct {
		freq, level float64
		min         float64 // for both laws
	}{
		{1004, 0, 36},
		{1004, 3, 36},
		{1004, 10, 35},
		{1004, 20, 36},
		{1004, 30, 33},
		{1004, 40, 32},
		{1004, 50, 22},
		{300, 10, 35},
		{3000, 10, 38},
	}
	for _, c := range []Codec{PCMU, PCMA} {
		for _, tt := range tests {
			in := sine(8000, 8000, tt.freq, tt.level)
			out := c.NewDecoder().Decode(nil, c.NewEncoder().Encode(nil, in))
			s := snr(in, out, 0, 0)
			t.Logf("%s %4.0f Hz -%2.0f dBFS: SNR %.2f dB", c.Name, tt.freq, tt.level, s)
			if s < tt.min {
				t.Errorf("%s %4.0f Hz -%2.0f dBFS: SNR %.2f dB, want at least %.0f", c.Name, tt.freq, tt.level, s, tt.min)
			}
		}
		in := speechLike(16000, 8000)
		out := c.NewDecoder().Decode(nil, c.NewEncoder().Encode(nil, in))
		s := snr(in, out, 0, 0)
		t.Logf("%s speech-like: SNR %.2f dB", c.Name, s)
		if s < 36 {
			t.Errorf("%s speech-like: SNR %.2f dB, want at least 36", c.Name, s)
		}
	}
}
