package alsa

import (
	"errors"
	"fmt"
)

// Pure functions on struct snd_pcm_hw_params, and the negotiation that walks
// a device's configuration space with HW_REFINE. Nothing here does I/O: the
// refiner is the kernel on Linux and a fake in the tests.

// errEmpty is what a refiner returns when a constraint leaves no configuration
// (the kernel answers EINVAL).
var errEmpty = errors.New("no configuration left")

func (m *mask) set(bit uint)       { m.Bits[bit/32] |= 1 << (bit % 32) }
func (m *mask) test(bit uint) bool { return m.Bits[bit/32]&(1<<(bit%32)) != 0 }
func (m *mask) only(bit uint)      { *m = mask{}; m.set(bit) }
func (m *mask) any() {
	for i := range m.Bits {
		m.Bits[i] = ^uint32(0)
	}
}
func (m *mask) empty() bool { return *m == mask{} }
func (m *mask) intersect(o *mask) {
	for i := range m.Bits {
		m.Bits[i] &= o.Bits[i]
	}
}

// first returns the lowest bit set, or -1.
func (m *mask) first() int {
	for i := 0; i < 256; i++ {
		if m.test(uint(i)) {
			return i
		}
	}
	return -1
}

// single reports whether exactly one bit is set.
func (m *mask) single() bool {
	n := 0
	for _, w := range m.Bits {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return n == 1
}

func (i *interval) any()         { *i = interval{Min: 0, Max: ^uint32(0)} }
func (i *interval) set(v uint32) { *i = interval{Min: v, Max: v, Flags: intervalInteger} }

// lo and hi are the smallest and largest integers the interval holds.
func (i *interval) lo() uint32 {
	if i.Flags&intervalOpenMin != 0 {
		return i.Min + 1
	}
	return i.Min
}

func (i *interval) hi() uint32 {
	if i.Flags&intervalOpenMax != 0 && i.Max > 0 {
		return i.Max - 1
	}
	return i.Max
}

func (i *interval) isEmpty() bool {
	return i.Flags&intervalEmpty != 0 || i.lo() > i.hi()
}

func (i *interval) contains(v uint32) bool {
	return !i.isEmpty() && v >= i.lo() && v <= i.hi()
}

// intersect narrows i to the values both i and o hold.
func (i *interval) intersect(o *interval) {
	if o.Min > i.Min || (o.Min == i.Min && o.Flags&intervalOpenMin != 0) {
		i.Min = o.Min
		i.Flags = i.Flags&^intervalOpenMin | o.Flags&intervalOpenMin
	}
	if o.Max < i.Max || (o.Max == i.Max && o.Flags&intervalOpenMax != 0) {
		i.Max = o.Max
		i.Flags = i.Flags&^intervalOpenMax | o.Flags&intervalOpenMax
	}
	i.Flags |= o.Flags & intervalInteger
	if i.isEmpty() {
		i.Flags |= intervalEmpty
	}
}

func (p *hwParams) mask(k int) *mask         { return &p.Masks[k-paramFirstMask] }
func (p *hwParams) interval(k int) *interval { return &p.Intervals[k-paramFirstInterval] }

// any opens p to every configuration, as alsa-lib's snd_pcm_hw_params_any
// does before the first refine.
func (p *hwParams) any() {
	*p = hwParams{}
	for k := paramFirstMask; k <= paramLastMask; k++ {
		p.mask(k).any()
	}
	for k := paramFirstInterval; k <= paramLastInterval; k++ {
		p.interval(k).any()
	}
	p.Rmask = ^uint32(0)
	p.Info = ^uint32(0)
}

// refiner narrows p to what the device supports (SNDRV_PCM_IOCTL_HW_REFINE),
// returning an error when nothing is left.
type refiner interface {
	refine(p *hwParams) error
}

// Format is an ALSA sample format on the hardware side of a [Device].
type Format int

// The sample formats a Device converts to and from int16.
const (
	FormatS16LE   Format = fmtS16LE   // signed 16-bit little-endian
	FormatS32LE   Format = fmtS32LE   // signed 32-bit little-endian
	FormatS24_3LE Format = fmtS24_3LE // signed 24-bit little-endian in 3 bytes
)

// formatPreference is the order in which negotiation tries formats.
var formatPreference = [...]Format{FormatS16LE, FormatS32LE, FormatS24_3LE}

// String returns ALSA's name for f.
func (f Format) String() string {
	switch f {
	case FormatS16LE:
		return "S16_LE"
	case FormatS32LE:
		return "S32_LE"
	case FormatS24_3LE:
		return "S24_3LE"
	}
	if n, ok := formatNames[int(f)]; ok {
		return n
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// formatNames names other common formats, for List.
var formatNames = map[int]string{
	0: "S8", 1: "U8", 3: "S16_BE", 4: "U16_LE", 6: "S24_LE", 11: "S32_BE",
	14: "FLOAT_LE", 16: "FLOAT64_LE", 20: "MU_LAW", 21: "A_LAW", 33: "S24_3BE",
}

// bytesPerSample is the width of one sample of f in memory.
func (f Format) bytesPerSample() int {
	switch f {
	case FormatS16LE:
		return 2
	case FormatS24_3LE:
		return 3
	case FormatS32LE:
		return 4
	}
	return 0
}

// tryRefine applies edit to a copy of p and refines it; on success the copy
// replaces p.
func tryRefine(r refiner, p *hwParams, edit func(q *hwParams)) bool {
	q := *p
	edit(&q)
	q.Rmask = ^uint32(0)
	if r.refine(&q) != nil {
		return false
	}
	*p = q
	return true
}

// setNear fixes interval k of p to the allowed value nearest target (ties
// and unreachable targets go to the nearest end), as snd_pcm_hw_param_set_near
// does.
func setNear(r refiner, p *hwParams, k int, target uint32) (uint32, bool) {
	if tryRefine(r, p, func(q *hwParams) { q.interval(k).set(target) }) {
		return target, true
	}
	// Find the closest value at or above, and at or below, the target.
	var above, below uint32
	okAbove, okBelow := false, false
	{
		q := *p
		iv := interval{Min: target, Max: ^uint32(0)}
		q.interval(k).intersect(&iv)
		q.Rmask = ^uint32(0)
		if !q.interval(k).isEmpty() && r.refine(&q) == nil {
			above, okAbove = q.interval(k).lo(), true
		}
	}
	{
		q := *p
		iv := interval{Min: 0, Max: target}
		q.interval(k).intersect(&iv)
		q.Rmask = ^uint32(0)
		if !q.interval(k).isEmpty() && r.refine(&q) == nil {
			below, okBelow = q.interval(k).hi(), true
		}
	}
	candidates := make([]uint32, 0, 2)
	switch {
	case okAbove && okBelow && target-below <= above-target:
		candidates = append(candidates, below, above)
	case okAbove && okBelow:
		candidates = append(candidates, above, below)
	case okAbove:
		candidates = append(candidates, above)
	case okBelow:
		candidates = append(candidates, below)
	}
	for _, v := range candidates {
		if tryRefine(r, p, func(q *hwParams) { q.interval(k).set(v) }) {
			return v, true
		}
	}
	return 0, false
}

// negotiate picks a configuration from what r offers, closest to want:
// interleaved access; S16_LE, else S32_LE, else S24_3LE; want.Rate if offered,
// else 48000, else 44100, else the nearest; want.Channels if offered, else 2,
// else 1, else the nearest; a period near want.PeriodFrames (10 ms if zero)
// and a buffer near want.BufferFrames (4 periods if zero). It returns the
// refined parameters, ready for HW_PARAMS, and what they mean.
func negotiate(r refiner, want Params) (hwParams, Params, error) {
	var p hwParams
	p.any()
	p.Rmask = ^uint32(0)
	if err := r.refine(&p); err != nil {
		return p, Params{}, fmt.Errorf("refine: %w", err)
	}
	var got Params

	if !p.mask(paramAccess).test(accessRWInterleaved) ||
		!tryRefine(r, &p, func(q *hwParams) { q.mask(paramAccess).only(accessRWInterleaved) }) {
		return p, got, errors.New("device does not offer interleaved read/write access")
	}

	formats := formatPreference[:]
	if want.Format != 0 {
		formats = []Format{want.Format}
	}
	for _, f := range formats {
		if f.bytesPerSample() == 0 || !p.mask(paramFormat).test(uint(f)) {
			continue
		}
		if tryRefine(r, &p, func(q *hwParams) { q.mask(paramFormat).only(uint(f)) }) {
			got.Format = f
			break
		}
	}
	if got.Format == 0 {
		return p, got, fmt.Errorf("device offers none of S16_LE, S32_LE, S24_3LE (offers %v)", maskFormats(p.mask(paramFormat)))
	}

	chans := p.interval(paramChannels)
	wantCh := uint32(max(want.Channels, 1))
	var ch uint32
	for _, c := range []uint32{wantCh, 2, 1} {
		if chans.contains(c) && tryRefine(r, &p, func(q *hwParams) { q.interval(paramChannels).set(c) }) {
			ch = c
			break
		}
	}
	if ch == 0 {
		var ok bool
		if ch, ok = setNear(r, &p, paramChannels, wantCh); !ok {
			return p, got, errors.New("no channel count accepted")
		}
	}
	got.HWChannels = int(ch)
	got.Channels = int(wantCh)

	wantRate := uint32(want.Rate)
	if wantRate == 0 {
		wantRate = 48000
	}
	var rate uint32
	for _, rt := range []uint32{wantRate, 48000, 44100} {
		if p.interval(paramRate).contains(rt) && tryRefine(r, &p, func(q *hwParams) { q.interval(paramRate).set(rt) }) {
			rate = rt
			break
		}
	}
	if rate == 0 {
		var ok bool
		if rate, ok = setNear(r, &p, paramRate, wantRate); !ok {
			return p, got, errors.New("no sample rate accepted")
		}
	}
	got.Rate = int(rate)

	period := uint32(want.PeriodFrames)
	if period == 0 {
		period = rate / 100 // 10 ms
	}
	period, ok := setNear(r, &p, paramPeriodSize, period)
	if !ok {
		return p, got, errors.New("no period size accepted")
	}
	got.PeriodFrames = int(period)

	buffer := uint32(want.BufferFrames)
	if buffer == 0 {
		buffer = 4 * period
	}
	buffer, ok = setNear(r, &p, paramBufferSize, buffer)
	if !ok {
		return p, got, errors.New("no buffer size accepted")
	}
	got.BufferFrames = int(buffer)
	return p, got, nil
}

// maskFormats lists the formats set in m, for error messages and List.
func maskFormats(m *mask) []Format {
	var fs []Format
	for i := 0; i <= 52; i++ {
		if m.test(uint(i)) {
			fs = append(fs, Format(i))
		}
	}
	return fs
}

// paramsFromHW reads the chosen configuration back from p after HW_PARAMS.
// Channels is taken from want (what the caller exchanges).
func paramsFromHW(p *hwParams, wantChannels int) Params {
	return Params{
		Format:       Format(p.mask(paramFormat).first()),
		Rate:         int(p.interval(paramRate).lo()),
		HWChannels:   int(p.interval(paramChannels).lo()),
		Channels:     max(wantChannels, 1),
		PeriodFrames: int(p.interval(paramPeriodSize).lo()),
		BufferFrames: int(p.interval(paramBufferSize).lo()),
	}
}
