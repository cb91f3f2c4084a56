package codec

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The QMF pair delays G.722's output by 22 samples.
const g722Delay = 22

// g722RoundTrip encodes pcm with a new encoder and decodes the result with a
// new decoder.
func g722RoundTrip(pcm []int16) []int16 {
	return G722.NewDecoder().Decode(nil, G722.NewEncoder().Encode(nil, pcm))
}

// TestG722SNR measures the signal-to-noise ratio of sines across the band
// and of a speech-like signal, after the codec's delay and 100 ms for the
// adaptation to settle. The lower sub-band's 6-bit ADPCM gives 35-60 dB up to
// 3.4 kHz; the higher's 2-bit ADPCM about 22-28 dB. Measured (dB):
//
//	signal           SNR
//	 300 Hz  -3 dBFS 63.96
//	 300 Hz -10 dBFS 62.39
//	 300 Hz -30 dBFS 47.27
//	1004 Hz -10 dBFS 47.47
//	2000 Hz -10 dBFS 49.78
//	3000 Hz -10 dBFS 41.28
//	3400 Hz -10 dBFS 35.18
//	5000 Hz -10 dBFS 22.00
//	6000 Hz -10 dBFS 27.13
//	7000 Hz  -3 dBFS 22.88
//	7000 Hz -10 dBFS 22.41
//	speech-like      28.86 (vowels 31-51, fricatives near 4 kHz 13-15)
func TestG722SNR(t *testing.T) {
	tests := []struct {
		freq, level float64
		min         float64
	}{
		{300, 3, 60},
		{300, 10, 59},
		{300, 30, 44},
		{1004, 10, 45},
		{2000, 10, 46},
		{3000, 10, 38},
		{3400, 10, 32},
		{5000, 10, 19},
		{6000, 10, 24},
		{7000, 3, 20},
		{7000, 10, 20},
	}
	for _, tt := range tests {
		in := sine(16000, 16000, tt.freq, tt.level)
		s := snr(in, g722RoundTrip(in), g722Delay, 1600)
		t.Logf("%4.0f Hz -%2.0f dBFS: SNR %.2f dB", tt.freq, tt.level, s)
		if s < tt.min {
			t.Errorf("%4.0f Hz -%2.0f dBFS: SNR %.2f dB, want at least %.0f", tt.freq, tt.level, s, tt.min)
		}
	}

	// Speech: the delay that fits best must be the QMF's.
	in := speechLike(32000, 16000)
	out := g722RoundTrip(in)
	best, delay := math.Inf(-1), -1
	for d := range 64 {
		if s := snr(in, out, d, 1600); s > best {
			best, delay = s, d
		}
	}
	t.Logf("speech-like: SNR %.2f dB at a delay of %d samples", best, delay)
	if delay != g722Delay {
		t.Errorf("speech-like: best delay %d samples, want %d", delay, g722Delay)
	}
	if best < 26 {
		t.Errorf("speech-like: SNR %.2f dB, want at least 26", best)
	}
}

// TestG722Silence checks that digital silence decodes as idle noise of a
// few LSB. (It is not zero: zero falls in the third step of the lower band's
// smallest quantizer scale, so silence encodes mostly as 0xfa and its
// neighbours, as in FFmpeg and the ITU-T algorithm.)
func TestG722Silence(t *testing.T) {
	for i, v := range g722RoundTrip(make([]int16, 32000)) {
		if v < -8 || v > 8 {
			t.Fatalf("sample %d of silence decoded as %d, want within ±8", i, v)
		}
	}
}

// TestG722Pieces checks that encoder and decoder keep their state across
// calls: a signal coded in one call, in 20 ms frames and in pieces of odd and
// uneven lengths gives the same bytes and samples.
func TestG722Pieces(t *testing.T) {
	in := speechLike(16000, 16000)
	whole := G722.NewEncoder().Encode(nil, in)
	decoded := G722.NewDecoder().Decode(nil, whole)

	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"20 ms", "uneven"} {
		piece := func() int {
			if name == "20 ms" {
				return 320
			}
			return rng.IntN(400)
		}
		enc := G722.NewEncoder()
		var got []byte
		for rest := in; len(rest) > 0; {
			n := min(piece(), len(rest))
			got = enc.Encode(got, rest[:n])
			rest = rest[n:]
		}
		if !bytes.Equal(got, whole) {
			t.Errorf("encoded in pieces of %s: differs from one call", name)
		}
		dec := G722.NewDecoder()
		var samples []int16
		for rest := whole; len(rest) > 0; {
			n := min(piece()/2, len(rest))
			samples = dec.Decode(samples, rest[:n])
			rest = rest[n:]
		}
		if !slicesEqual(samples, decoded) {
			t.Errorf("decoded in pieces of %s: differs from one call", name)
		}
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Bit-exactness with FFmpeg.
//
// testdata/g722 holds, for each signal of goldenSignals, its PCM (NAME.pcm,
// 16 kHz mono s16le), FFmpeg's G.722 encoding of it (NAME.g722) and FFmpeg's
// decoding of that (NAME.dec.pcm); and arbitrary bytes (random.g722) with
// FFmpeg's decoding of them. TestG722Golden holds our encoder and decoder to
// those files, so CI needs no FFmpeg. To remake them, with ffmpeg on PATH
// (Debian's package ffmpeg, 5.1 made the present files):
//
//	go test ./audio/codec -run TestG722Golden -update-golden
//
// which runs, for each signal,
//
//	ffmpeg -f s16le -ar 16000 -ac 1 -i NAME.pcm -acodec g722 -f g722 NAME.g722
//	ffmpeg -f g722 -i NAME.g722 -f s16le NAME.dec.pcm
//
//go:generate go test -run TestG722Golden -update-golden

var updateGolden = flag.Bool("update-golden", false, "remake testdata/g722 with ffmpeg")

const goldenDir = "testdata/g722"

// goldenSignals are the inputs of the golden files, by name.
var goldenSignals = []struct {
	name string
	pcm  func() []int16
}{
	// A logarithmic sweep from 50 Hz to 7.9 kHz at -6 dBFS: every
	// frequency of both sub-bands and the crossover.
	{"chirp", func() []int16 {
		out := make([]int16, 16000)
		phase := 0.0
		for i := range out {
			f := 50 * math.Pow(7900.0/50, float64(i)/float64(len(out)))
			phase += 2 * math.Pi * f / 16000
			out[i] = int16(math.Round(16384 * math.Sin(phase)))
		}
		return out
	}},
	{"speech", func() []int16 { return speechLike(16000, 16000) }},
	// Overload: noise at -3 dBFS RMS, saturated, then a full-scale square
	// wave: the limits of every quantity in the ADPCM.
	{"loud", func() []int16 {
		out := noise(4000, 3, 5)
		for i := range 4000 {
			v := int16(32767)
			if i/16%2 == 1 {
				v = -32768
			}
			out = append(out, v)
		}
		return out
	}},
	// Full-scale steps, impulses and a tone at the Nyquist frequency out
	// of silence: the largest differences at the smallest scales.
	{"steps", func() []int16 {
		out := make([]int16, 8000)
		for i := range out {
			switch {
			case i >= 1000 && i < 2000:
				out[i] = 32767
			case i >= 3000 && i < 4000:
				out[i] = -32768
			case i >= 4000 && i < 6000 && i%500 == 250:
				out[i] = 32767
			case i >= 6000 && i < 7000:
				out[i] = int16(32767 - 65535*(i&1))
			}
		}
		return out
	}},
	// Near silence: a 1 kHz sine at -60 dBFS, digital silence, and a
	// 1-bit toggle: the smallest quantizer scales.
	{"quiet", func() []int16 {
		out := sine(4000, 16000, 1000, 60)
		out = append(out, make([]int16, 2000)...)
		for i := range 2000 {
			out = append(out, int16(i&1))
		}
		return out
	}},
}

// TestG722Golden checks our encoder's bytes and our decoder's samples against
// FFmpeg's, from the files in testdata/g722.
func TestG722Golden(t *testing.T) {
	if *updateGolden {
		makeGolden(t)
	}
	for _, sig := range goldenSignals {
		in := readPCM(t, sig.name+".pcm")
		want := readFile(t, sig.name+".g722")
		got := G722.NewEncoder().Encode(nil, in)
		compareBytes(t, sig.name+": encoded", got, want)
		compareSamples(t, sig.name+": decoded", G722.NewDecoder().Decode(nil, want), readPCM(t, sig.name+".dec.pcm"))
	}
	random := readFile(t, "random.g722")
	compareSamples(t, "random: decoded", G722.NewDecoder().Decode(nil, random), readPCM(t, "random.dec.pcm"))
}

// makeGolden writes the golden files afresh with ffmpeg.
func makeGolden(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("-update-golden needs ffmpeg: %v", err)
	}
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sig := range goldenSignals {
		base := filepath.Join(goldenDir, sig.name)
		writeFile(t, base+".pcm", pcmBytes(sig.pcm()))
		runFFmpeg(t, ffmpeg, base+".pcm", base+".g722", base+".dec.pcm")
	}
	rng := rand.New(rand.NewPCG(6, 7))
	random := make([]byte, 4000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	base := filepath.Join(goldenDir, "random")
	writeFile(t, base+".g722", random)
	runFFmpeg(t, ffmpeg, "", base+".g722", base+".dec.pcm")
}

// runFFmpeg encodes the PCM file in (unless in is empty) to the G.722 file
// g722, and decodes that to the PCM file dec.
func runFFmpeg(t *testing.T, ffmpeg, in, g722, dec string) {
	t.Helper()
	run := func(args ...string) {
		args = append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
		if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %q: %v\n%s", args, err, out)
		}
	}
	if in != "" {
		run("-f", "s16le", "-ar", "16000", "-ac", "1", "-i", in, "-acodec", "g722", "-f", "g722", g722)
	}
	run("-f", "g722", "-i", g722, "-f", "s16le", dec)
}

// TestG722FFmpeg compares our encoder and decoder with FFmpeg's on signals
// made afresh, when ffmpeg is installed; the golden files stand in for it
// where it is not, as in CI.
func TestG722FFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed; TestG722Golden compares with FFmpeg's files")
	}
	signals := map[string][]int16{
		"noise -10 dBFS": noise(16000, 10, 11),
		"noise -30 dBFS": noise(16000, 30, 12),
		"noise -1 dBFS":  noise(16000, 1, 13),
		"speech 4 s":     speechLike(64000, 16000),
		"uniform":        uniform(16000, 14),
		"bursts":         bursts(16000, 15),
		"sines":          mix(sine(16000, 16000, 440, 12), sine(16000, 16000, 3950, 12), sine(16000, 16000, 6800, 15)),
	}
	dir := t.TempDir()
	for name, pcm := range signals {
		in, enc, dec := filepath.Join(dir, "in.pcm"), filepath.Join(dir, "out.g722"), filepath.Join(dir, "out.pcm")
		writeFile(t, in, pcmBytes(pcm))
		runFFmpeg(t, ffmpeg, in, enc, dec)
		want := readFile(t, enc)
		compareBytes(t, name+": encoded", G722.NewEncoder().Encode(nil, pcm), want)
		compareSamples(t, name+": decoded", G722.NewDecoder().Decode(nil, want), readPCM(t, dec))
	}
}

// uniform returns n samples drawn uniformly from all 16-bit values.
func uniform(n int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 8))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.Uint32())
	}
	return out
}

// bursts returns n samples of silence broken by bursts of uniform noise of
// random lengths and levels.
func bursts(n int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]int16, n)
	for i := 0; i < n; {
		i += rng.IntN(400)
		shift := rng.UintN(16)
		for end := min(n, i+rng.IntN(40)); i < end; i++ {
			out[i] = int16(rng.Uint32()) >> shift
		}
	}
	return out
}

// mix returns the sum of signals of equal length.
func mix(signals ...[]int16) []int16 {
	out := make([]int16, len(signals[0]))
	for _, s := range signals {
		for i, v := range s {
			out[i] += v
		}
	}
	return out
}

func compareBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d bytes, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s: byte %d is %#02x, want %#02x", what, i, got[i], want[i])
			return
		}
	}
}

func compareSamples(t *testing.T, what string, got, want []int16) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d samples, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s: sample %d is %d, want %d", what, i, got[i], want[i])
			return
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	if !filepath.IsAbs(name) {
		name = filepath.Join(goldenDir, name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readPCM reads 16-bit little-endian samples.
func readPCM(t *testing.T, name string) []int16 {
	t.Helper()
	b := readFile(t, name)
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// pcmBytes returns s as 16-bit little-endian samples.
func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// qmfTaps is the impulse response of the 24-tap QMF, h0..h23 scaled by 2^13.
var qmfTaps = [24]int32{
	3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
	3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
}

// TestQMFTaps: the QMF's written-out sums are the filter of qmfTaps over
// the last 24 samples.
func TestQMFTaps(t *testing.T) {
	var q qmf
	var hist []int16
	x := uint32(1)
	for n := range 200 {
		pair := [2]int16{}
		for k := range pair {
			x = x*1664525 + 1013904223
			pair[k] = int16(x >> 16)
		}
		hist = append(hist, pair[0], pair[1])
		odd, even := q.push(pair[0], pair[1])
		var wantOdd, wantEven int32
		for i, h := range qmfTaps {
			j := len(hist) - 24 + i // oldest first
			if j < 0 {
				continue
			}
			if i%2 == 0 {
				wantEven += h * int32(hist[j])
			} else {
				wantOdd += h * int32(hist[j])
			}
		}
		if odd != wantOdd || even != wantEven {
			t.Fatalf("pair %d: sums %d, %d, want %d, %d", n, odd, even, wantOdd, wantEven)
		}
	}
}
