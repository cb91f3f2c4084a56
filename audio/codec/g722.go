package codec

// G.722 at 64 kbit/s, after ITU-T G.722's description of the encoder and the
// decoder and its computational details; block names in comments (QUANTL,
// UPPOL2, ...) are the recommendation's.
//
// Fixed-point scales: sub-band signals, estimates and differences are at
// 15-bit scale (±16384); reconstructed signals and stored differences are
// kept doubled, at 16-bit scale, so that products with the Q15 predictor
// coefficients shift by 15. Pole coefficients are Q14, zero coefficients Q15.

// qmf is the delay line of the transmit or receive QMF: 24 samples in a ring
// written twice, so that the last 24 are always contiguous.
type qmf struct {
	line [48]int16
	pos  int // even, 0..22: where the next pair goes
}

// push adds two samples, older first, and returns the filter's two sums over
// the last 24: odd, the taps at odd distance from the oldest sample (the
// newest among them) and even, the others. In the transmit QMF these are xA
// and xB; in the receive QMF, fed xs then xd, they are xout1 and xout2 before
// scaling.
func (q *qmf) push(older, newer int16) (odd, even int32) {
	p := q.pos
	q.line[p], q.line[p+1] = older, newer
	q.line[p+24], q.line[p+25] = older, newer
	p += 2
	if p == 24 {
		p = 0
	}
	q.pos = p
	w := (*[24]int16)(q.line[p : p+24]) // oldest first
	// The taps are the impulse response h0..h23 scaled by 2^13 (h0 = 3 is
	// 0.000366211), written out as immediates; qmfTaps in the tests is
	// the same as a table. They are symmetric: h(i) = h(23-i).
	even = 3*int32(w[0]) +
		-11*int32(w[2]) +
		12*int32(w[4]) +
		32*int32(w[6]) +
		-210*int32(w[8]) +
		951*int32(w[10]) +
		3876*int32(w[12]) +
		-805*int32(w[14]) +
		362*int32(w[16]) +
		-156*int32(w[18]) +
		53*int32(w[20]) +
		-11*int32(w[22])
	odd = -11*int32(w[1]) +
		53*int32(w[3]) +
		-156*int32(w[5]) +
		362*int32(w[7]) +
		-805*int32(w[9]) +
		3876*int32(w[11]) +
		951*int32(w[13]) +
		-210*int32(w[15]) +
		32*int32(w[17]) +
		12*int32(w[19]) +
		-11*int32(w[21]) +
		3*int32(w[23])
	return odd, even
}

// Quantizer tables of the lower sub-band.
var (
	// lowDecision are the decision levels of the 6-bit quantizer, each
	// the lower bound of an interval 1..29 of the magnitude (QUANTL) at
	// the quantizer scale 1<<10.
	lowDecision = [29]int32{
		35, 72, 110, 150, 190, 233, 276, 323, 370, 422,
		473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121,
		1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
	}
	// lowLevel6 are the output levels of the 6-bit inverse quantizer for
	// the magnitude intervals 0..29 (INVQBL).
	lowLevel6 = [30]int32{
		17, 54, 91, 130, 170, 211, 254, 300, 347, 396,
		447, 501, 558, 618, 682, 750, 822, 899, 982, 1072,
		1170, 1279, 1399, 1535, 1689, 1873, 2088, 2376, 2738, 3101,
	}
	// lowLevel4 are the output levels of the 4-bit inverse quantizer that
	// feeds the predictor (INVQAL) and lowLogStep the steps of the log
	// scale (LOGSCL, W_L), both by magnitude 0..7.
	lowLevel4  = [8]int32{0, 150, 323, 530, 786, 1121, 1612, 2557}
	lowLogStep = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}
	// scaleMantissa is 2^(i/32) at scale 2^11, the mantissas of the
	// linear quantizer scale (SCALEL, SCALEH).
	scaleMantissa = [32]int32{
		2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
		2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
		2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
		3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
	}
)

// Tables indexed by code, built from the ones above.
var (
	lowInterval [2920]byte  // a magnitude at the scale 1<<10, up to the last level, to its interval
	lowCode6    [2][30]byte // [negative][interval]: the 6-bit code I_L
	lowInv6     [64]int32   // I_L to its quantized difference level
	lowInv4     [16]int32   // I_L>>2 to its quantized difference level
	lowLogStep4 [16]int32   // I_L>>2 to its step of the log scale
)

// Tables of the higher sub-band: codes 0 and 1 are the large and small
// negative differences, 2 and 3 the large and small positive.
var (
	highInv     = [4]int32{-926, -202, 926, 202}
	highLogStep = [4]int32{798, -214, 798, -214}
)

func init() {
	i := 0
	for m := range lowInterval {
		for i < len(lowDecision) && int32(m) >= lowDecision[i] {
			i++
		}
		lowInterval[m] = byte(i)
	}
	// Positive intervals 0..29 take the codes 61 down to 32; negative
	// intervals 0 and 1 take 63 and 62, 2..29 take 31 down to 4. Codes 0
	// to 3 are never sent; a decoder reads them as 63.
	for i := range 30 {
		pos, neg := byte(61-i), byte(33-i)
		if i < 2 {
			neg = byte(63 - i)
		}
		lowCode6[0][i], lowCode6[1][i] = pos, neg
		lowInv6[pos], lowInv6[neg] = lowLevel6[i], -lowLevel6[i]
	}
	for c := range 4 {
		lowInv6[c] = lowInv6[63]
	}
	// The 4-bit codes are the 6-bit ones less their two low bits: 15 down
	// to 8 are the positive magnitudes 0..7, 0 and 7 down to 1 the negative
	// magnitudes 0 and 1..7.
	for c := range 16 {
		m, sign := 15-c, int32(1)
		if c < 8 {
			m, sign = (8-c)&7, -1
		}
		lowInv4[c] = sign * lowLevel4[m]
		lowLogStep4[c] = lowLogStep[m]
	}
}

// clamp returns x limited to lo..hi.
func clamp(x, lo, hi int32) int32 {
	return min(max(x, lo), hi)
}

// sat16 returns x saturated to 16 bits.
func sat16(x int32) int32 {
	return clamp(x, -32768, 32767)
}

// band is the ADPCM state of one sub-band, the same in encoder and decoder.
type band struct {
	s     int32    // signal estimate S_L, S_H: pole and zero predictions
	sz    int32    // zero-section prediction SZ
	pSign [2]int32 // signs of the partial reconstruction P 1 and 2 samples ago: 1 negative, 0 not
	r1    int32    // reconstructed signal one sample ago, doubled (RLT1, RHT1)
	a     [2]int32 // pole coefficients A1, A2, Q14
	d     [6]int32 // quantized differences 1..6 samples ago, doubled (DLT, DHT)
	b     [6]int32 // zero coefficients B1..B6, Q15
	logDe int32    // log of the quantizer scale, NBL or NBH
	scale int32    // linear quantizer scale, DETL or DETH at this scale
}

// reset puts the band in the recommendation's reset state, whose quantizer
// scale is scale.
func (b *band) reset(scale int32) {
	*b = band{scale: scale}
}

// predict updates the adaptive predictor with dq, the quantized difference of
// the current sample (blocks RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA,
// FILTEP, FILTEZ, PREDIC), and leaves in b.s the estimate of the next.
func (b *band) predict(dq int32) {
	// The partial reconstruction P = SZ + DQ; the agreements of its sign
	// with those of its previous two values drive the pole adaptation.
	// Signs are 1 for negative, 0 otherwise; agreements are +1 or -1,
	// computed without branches, which speech would mispredict.
	sign := int32(uint32(b.sz+dq) >> 31)
	agree1 := 1 - 2*(sign^b.pSign[0])
	agree2 := 1 - 2*(sign^b.pSign[1])
	b.pSign[0], b.pSign[1] = sign, b.pSign[0]

	// UPPOL2: A2 leaks by 2^-7, moves by -f(A1) for an agreement with P one
	// sample ago and by 2^-7 for one with P two samples ago, and stays
	// within ±0.75.
	f := clamp(b.a[0], -8191, 8191)
	a2 := clamp(-agree1*f>>5+128*agree2+b.a[1]*127>>7, -12288, 12288)
	// UPPOL1: A1 leaks by 2^-8, moves by 3*2^-8 towards agreement, and
	// stays within 1 - 2^-4 - A2 of zero.
	lim := 15360 - a2
	b.a[0], b.a[1] = clamp(b.a[0]*255>>8+192*agree1, -lim, lim), a2

	// UPZERO: each B leaks by 2^-8 and, unless DQ is zero, moves by 2^-8
	// towards agreement of DQ's sign with that of the difference it weighs
	// (128 less 256 where the sign bits differ).
	// DELAYA and FILTEZ, the zero section over the last six differences,
	// in the same pass, from the oldest: each B is updated with the
	// difference it weighed, which then moves one place along.
	var step int32
	if dq != 0 {
		step = 128
	}
	zb, d := &b.b, &b.d
	var sz int32
	for i := 5; i > 0; i-- {
		zb[i] = zb[i]*255>>8 + step - (d[i]^dq)>>31&(2*step)
		d[i] = d[i-1]
		sz += zb[i] * d[i] >> 15
	}
	zb[0] = zb[0]*255>>8 + step - (d[0]^dq)>>31&(2*step)
	d[0] = sat16(dq << 1)
	sz += zb[0] * d[0] >> 15
	b.sz = sz

	// RECONS and FILTEP: the pole section over the last two reconstructed
	// signals; PREDIC: the estimate.
	r := sat16((b.s + dq) << 1)
	b.s = sat16(sz + b.a[0]*r>>15 + b.a[1]*b.r1>>15)
	b.r1 = r
}

// adapt updates the quantizer scale (LOGSCL or LOGSCH, then SCALEL or
// SCALEH): the log scale leaks by 2^-7, moves by step and stays within
// 0..maxLog; the linear scale is 2^((log-offset)/2^11) with a mantissa from
// scaleMantissa.
func (b *band) adapt(step, maxLog, offset int32) {
	b.logDe = clamp(b.logDe*127>>7+step, 0, maxLog)
	x := b.logDe - offset
	m, e := scaleMantissa[x>>6&31], x>>11
	if e < 0 {
		b.scale = m >> -e
	} else {
		b.scale = m << e
	}
}

// The initial quantizer scales and the bounds of the log scales.
const (
	lowScale0  = 8
	highScale0 = 2
	lowMaxLog  = 18432
	highMaxLog = 22528
	lowOffset  = 8 << 11
	highOffset = 10 << 11
)

// updateLow updates the lower sub-band for its 6-bit code il.
func (b *band) updateLow(il byte) {
	c := il >> 2
	b.predict(b.scale * lowInv4[c] >> 10)
	b.adapt(lowLogStep4[c], lowMaxLog, lowOffset)
}

// updateHigh updates the higher sub-band for its code ih, whose quantized
// difference is dq.
func (b *band) updateHigh(ih byte, dq int32) {
	b.predict(dq)
	b.adapt(highLogStep[ih], highMaxLog, highOffset)
}

// g722Encoder is the G.722 Encoder.
type g722Encoder struct {
	qmf  qmf
	low  band
	high band
	odd  bool  // whether held is a sample waiting for the next
	held int16 // the first sample of a pair that a call left incomplete
}

// newG722Encoder returns an encoder in the reset state.
func newG722Encoder() *g722Encoder {
	e := new(g722Encoder)
	e.low.reset(lowScale0)
	e.high.reset(highScale0)
	return e
}

// Encode appends one byte for each pair of samples of pcm to dst. A last
// sample without a partner waits for the first sample of the next call, so
// cutting a signal into pieces of any length does not change its encoding.
func (e *g722Encoder) Encode(dst []byte, pcm []int16) []byte {
	n := len(pcm)
	if e.odd {
		n++
	}
	dst, out := grow(dst, n/2)
	if e.odd && len(pcm) > 0 {
		out[0] = e.encode(e.held, pcm[0])
		out, pcm = out[1:], pcm[1:]
		e.odd = false
	}
	for i := range out {
		out[i] = e.encode(pcm[2*i], pcm[2*i+1])
	}
	if len(pcm)&1 != 0 {
		e.held, e.odd = pcm[len(pcm)-1], true
	}
	return dst
}

// encode returns the code of the samples x0 and x1.
func (e *g722Encoder) encode(x0, x1 int16) byte {
	// Transmit QMF: the sum and difference of its two halves are
	// the lower and the higher sub-band.
	xa, xb := e.qmf.push(x0, x1)
	xl, xh := (xa+xb)>>14, (xa-xb)>>14

	// Lower sub-band: SUBTRA, then QUANTL by the magnitude of the difference,
	// negative values taken by one's complement.
	el := sat16(xl - e.low.s)
	wd := el
	if el < 0 {
		wd = ^el
	}
	// The interval of wd is how many decision levels D it reaches:
	// wd >= D*scale>>10, which is D <= ((wd+1)<<10-1)/scale. One division
	// and a table take the place of a search with a product each step.
	i := lowInterval[min(((wd+1)<<10-1)/e.low.scale, int32(len(lowInterval)-1))]
	neg := 0
	if el < 0 {
		neg = 1
	}
	il := lowCode6[neg][i]

	// Higher sub-band: SUBTRA, then QUANTH against one decision level.
	eh := sat16(xh - e.high.s)
	wd = eh
	if eh < 0 {
		wd = ^eh
	}
	ih := byte(0) // large
	if wd < 141*e.high.scale>>8 {
		ih = 1 // small
	}
	if eh >= 0 {
		ih += 2
	}

	e.low.updateLow(il)
	e.high.updateHigh(ih, e.high.scale*highInv[ih]>>10)
	return ih<<6 | il
}

// g722Decoder is the G.722 Decoder.
type g722Decoder struct {
	qmf  qmf
	low  band
	high band
}

// newG722Decoder returns a decoder in the reset state.
func newG722Decoder() *g722Decoder {
	d := new(g722Decoder)
	d.low.reset(lowScale0)
	d.high.reset(highScale0)
	return d
}

// Decode appends two samples for each byte of payload to dst.
func (d *g722Decoder) Decode(dst []int16, payload []byte) []int16 {
	dst, out := grow(dst, 2*len(payload))
	for i, c := range payload {
		il, ih := c&63, c>>6

		// Lower sub-band: INVQBL with all six bits, RECONS, LIMIT.
		rl := clamp(d.low.scale*lowInv6[il]>>10+d.low.s, -16384, 16383)
		d.low.updateLow(il)

		// Higher sub-band: INVQAH, RECONS, LIMIT.
		dh := d.high.scale * highInv[ih] >> 10
		rh := clamp(dh+d.high.s, -16384, 16383)
		d.high.updateHigh(ih, dh)

		// Receive QMF, fed the sum then the difference.
		x1, x2 := d.qmf.push(int16(rl+rh), int16(rl-rh))
		out[2*i] = int16(sat16(x1 >> 11))
		out[2*i+1] = int16(sat16(x2 >> 11))
	}
	return dst
}
