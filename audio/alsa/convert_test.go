package alsa

import (
	"slices"
	"testing"
)

func TestFormatRoundTrip(t *testing.T) {
	src := make([]int16, 0, 65536)
	for v := -32768; v <= 32767; v++ {
		src = append(src, int16(v))
	}
	for _, f := range formatPreference {
		buf := make([]byte, len(src)*f.bytesPerSample())
		if n := encodeFrames(buf, src, f, 1, 1); n != len(src) {
			t.Fatalf("%v: encoded %d frames", f, n)
		}
		got := make([]int16, len(src))
		if n := decodeFrames(got, buf, f, 1, 1); n != len(src) {
			t.Fatalf("%v: decoded %d frames", f, n)
		}
		if !slices.Equal(got, src) {
			t.Errorf("%v: round trip differs", f)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		v    int16
		want []byte
	}{
		{FormatS16LE, -2, []byte{0xfe, 0xff}},
		{FormatS16LE, 0x1234, []byte{0x34, 0x12}},
		{FormatS32LE, 0x1234, []byte{0, 0, 0x34, 0x12}},
		{FormatS32LE, -1, []byte{0, 0, 0xff, 0xff}},
		{FormatS24_3LE, 0x1234, []byte{0, 0x34, 0x12}},
		{FormatS24_3LE, -32768, []byte{0, 0x00, 0x80}},
	} {
		b := make([]byte, tc.f.bytesPerSample())
		storeSample(b, tc.f, tc.v)
		if !slices.Equal(b, tc.want) {
			t.Errorf("%v %d: % x, want % x", tc.f, tc.v, b, tc.want)
		}
	}
	// Low bits of wider formats are dropped, toward minus infinity.
	if v := loadSample([]byte{0xff, 0xff, 0x34, 0x12}, FormatS32LE); v != 0x1234 {
		t.Errorf("S32 low bits: %#x", v)
	}
	if v := loadSample([]byte{0xff, 0xff, 0xff}, FormatS24_3LE); v != -1 {
		t.Errorf("S24_3LE -1: %d", v)
	}
}

func TestChannelMix(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ch, hwch int
		in       []int16
		hw       []int16 // what the hardware sees (S16_LE)
		back     []int16 // decoded again
	}{
		{"mono to stereo duplicates", 1, 2, []int16{1, -2, 300}, []int16{1, 1, -2, -2, 300, 300}, []int16{1, -2, 300}},
		{"stereo to mono averages", 2, 1, []int16{100, 200, -32768, -32768}, []int16{150, -32768}, []int16{150, 150, -32768, -32768}},
		{"mono to four", 1, 4, []int16{7, 9}, []int16{7, 7, 7, 7, 9, 9, 9, 9}, []int16{7, 9}},
		{"stereo to four", 2, 4, []int16{1, 2}, []int16{1, 2, 1, 2}, []int16{1, 2}},
		{"same", 2, 2, []int16{1, 2, 3, 4}, []int16{1, 2, 3, 4}, []int16{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 2*len(tc.hw))
			if n := encodeFrames(buf, tc.in, FormatS16LE, tc.ch, tc.hwch); n != len(tc.in)/tc.ch {
				t.Fatalf("encoded %d frames", n)
			}
			hw := make([]int16, len(tc.hw))
			decodeFrames(hw, buf, FormatS16LE, tc.hwch, tc.hwch)
			if !slices.Equal(hw, tc.hw) {
				t.Errorf("hardware sees %v, want %v", hw, tc.hw)
			}
			back := make([]int16, len(tc.back))
			decodeFrames(back, buf, FormatS16LE, tc.hwch, tc.ch)
			if !slices.Equal(back, tc.back) {
				t.Errorf("decoded %v, want %v", back, tc.back)
			}
		})
	}
}

func TestConvertPartial(t *testing.T) {
	// dst smaller than src: only whole frames that fit.
	buf := make([]byte, 10) // S32 stereo frames are 8 bytes: one fits
	if n := encodeFrames(buf, []int16{1, 2, 3}, FormatS32LE, 1, 2); n != 1 {
		t.Errorf("encoded %d frames, want 1", n)
	}
	if n := decodeFrames(make([]int16, 3), make([]byte, 24), FormatS32LE, 2, 1); n != 3 {
		t.Errorf("decoded %d frames, want 3", n)
	}
}

func TestConvertNoAlloc(t *testing.T) {
	src := make([]int16, 320)
	for _, f := range formatPreference {
		buf := make([]byte, 960*f.bytesPerSample())
		dst := make([]int16, 320)
		if a := testing.AllocsPerRun(10, func() {
			encodeFrames(buf, src, f, 1, 2)
			decodeFrames(dst, buf, f, 2, 1)
		}); a != 0 {
			t.Errorf("%v: %v allocations per frame", f, a)
		}
	}
}

func BenchmarkEncodeS32Stereo(b *testing.B) {
	src := make([]int16, 320) // 20 ms mono at 16 kHz
	buf := make([]byte, 320*8)
	b.ReportAllocs()
	for b.Loop() {
		encodeFrames(buf, src, FormatS32LE, 1, 2)
	}
}

func BenchmarkDecodeS24_3Stereo(b *testing.B) {
	dst := make([]int16, 320)
	buf := make([]byte, 320*6)
	b.ReportAllocs()
	for b.Loop() {
		decodeFrames(dst, buf, FormatS24_3LE, 2, 1)
	}
}
