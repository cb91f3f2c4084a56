package alsa

import (
	"strings"
	"testing"
)

// fakeHW is a "sound card" for the negotiation tests: it refines a
// configuration space the way the kernel does for the parameters negotiate
// touches, intersecting each with what the card offers and answering
// errEmpty when nothing is left.
type fakeHW struct {
	formats              []Format
	rates                []uint32 // discrete rates, as USB and I2S codecs offer; nil means rateMin..rateMax
	rateMin, rateMax     uint32
	chMin, chMax         uint32
	periodMin, periodMax uint32
	bufferMin, bufferMax uint32
	periodPow2           bool // period sizes are powers of two
}

func (f *fakeHW) refine(p *hwParams) error {
	var acc mask
	acc.set(0) // MMAP_INTERLEAVED
	acc.set(accessRWInterleaved)
	p.mask(paramAccess).intersect(&acc)
	var fm mask
	for _, x := range f.formats {
		fm.set(uint(x))
	}
	p.mask(paramFormat).intersect(&fm)
	if p.mask(paramAccess).empty() || p.mask(paramFormat).empty() {
		return errEmpty
	}
	narrow := func(k int, lo, hi uint32) {
		iv := interval{Min: lo, Max: hi, Flags: intervalInteger}
		p.interval(k).intersect(&iv)
	}
	narrow(paramChannels, f.chMin, f.chMax)
	if f.rates == nil {
		narrow(paramRate, f.rateMin, f.rateMax)
	} else {
		r := p.interval(paramRate)
		lo, hi, found := uint32(0), uint32(0), false
		for _, x := range f.rates {
			if r.contains(x) {
				if !found {
					lo = x
				}
				hi, found = x, true
			}
		}
		if !found {
			return errEmpty
		}
		narrow(paramRate, lo, hi)
	}
	narrow(paramPeriodSize, f.periodMin, f.periodMax)
	if f.periodPow2 {
		ps := p.interval(paramPeriodSize)
		lo, hi := uint32(1), uint32(1)<<31
		for lo < ps.lo() {
			lo <<= 1
		}
		for hi > ps.hi() {
			hi >>= 1
		}
		narrow(paramPeriodSize, lo, hi)
	}
	narrow(paramBufferSize, f.bufferMin, f.bufferMax)
	for k := paramFirstInterval; k <= paramLastInterval; k++ {
		if p.interval(k).isEmpty() {
			return errEmpty
		}
	}
	return nil
}

func usbHeadset() *fakeHW {
	return &fakeHW{formats: []Format{FormatS16LE}, rateMin: 8000, rateMax: 48000, chMin: 1, chMax: 2,
		periodMin: 16, periodMax: 8192, bufferMin: 64, bufferMax: 65536}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name string
		hw   *fakeHW
		want Params
		got  Params
	}{
		{"usb headset gives what is asked", usbHeadset(), Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 16000, Channels: 1, HWChannels: 1, PeriodFrames: 160, BufferFrames: 640}},
		{"narrowband", usbHeadset(), Params{Rate: 8000, Channels: 1, PeriodFrames: 160, BufferFrames: 480},
			Params{Format: FormatS16LE, Rate: 8000, Channels: 1, HWChannels: 1, PeriodFrames: 160, BufferFrames: 480}},
		{"only S32_LE 48000 stereo", &fakeHW{formats: []Format{FormatS32LE}, rates: []uint32{48000}, chMin: 2, chMax: 2,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS32LE, Rate: 48000, Channels: 1, HWChannels: 2, PeriodFrames: 480, BufferFrames: 1920}},
		{"only S24_3LE, 44100 and 96000", &fakeHW{formats: []Format{FormatS24_3LE}, rates: []uint32{44100, 96000}, chMin: 2, chMax: 8,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 8000, Channels: 1},
			Params{Format: FormatS24_3LE, Rate: 44100, Channels: 1, HWChannels: 2, PeriodFrames: 441, BufferFrames: 1764}},
		{"S16 preferred over S32 and S24", &fakeHW{formats: []Format{FormatS24_3LE, FormatS32LE, FormatS16LE}, rates: []uint32{48000}, chMin: 1, chMax: 2,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 48000, Channels: 1, HWChannels: 1, PeriodFrames: 480, BufferFrames: 1920}},
		{"S32 preferred over S24", &fakeHW{formats: []Format{FormatS24_3LE, FormatS32LE}, rates: []uint32{48000}, chMin: 1, chMax: 2,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS32LE, Rate: 48000, Channels: 1, HWChannels: 1, PeriodFrames: 480, BufferFrames: 1920}},
		{"44100 when 48000 is missing", &fakeHW{formats: []Format{FormatS16LE}, rates: []uint32{22050, 44100}, chMin: 2, chMax: 2,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 44100, Channels: 1, HWChannels: 2, PeriodFrames: 441, BufferFrames: 1764}},
		{"nearest rate when none preferred", &fakeHW{formats: []Format{FormatS16LE}, rates: []uint32{11025, 22050}, chMin: 1, chMax: 1,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 11025, Channels: 1, HWChannels: 1, PeriodFrames: 110, BufferFrames: 440}},
		{"power-of-two periods", &fakeHW{formats: []Format{FormatS16LE}, rates: []uint32{48000}, chMin: 2, chMax: 2,
			periodMin: 64, periodMax: 4096, bufferMin: 64, bufferMax: 16384, periodPow2: true}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 48000, Channels: 1, HWChannels: 2, PeriodFrames: 512, BufferFrames: 2048}},
		{"small buffer limit", &fakeHW{formats: []Format{FormatS16LE}, rates: []uint32{16000}, chMin: 1, chMax: 1,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 400}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 16000, Channels: 1, HWChannels: 1, PeriodFrames: 160, BufferFrames: 400}},
		{"four-channel only", &fakeHW{formats: []Format{FormatS16LE}, rates: []uint32{16000}, chMin: 4, chMax: 4,
			periodMin: 32, periodMax: 4096, bufferMin: 64, bufferMax: 16384}, Params{Rate: 16000, Channels: 1},
			Params{Format: FormatS16LE, Rate: 16000, Channels: 1, HWChannels: 4, PeriodFrames: 160, BufferFrames: 640}},
		{"stereo wanted", usbHeadset(), Params{Rate: 48000, Channels: 2},
			Params{Format: FormatS16LE, Rate: 48000, Channels: 2, HWChannels: 2, PeriodFrames: 480, BufferFrames: 1920}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hp, got, err := negotiate(tc.hw, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.got {
				t.Errorf("negotiate = %v\nwant        %v", got, tc.got)
			}
			// What HW_PARAMS would read back must agree.
			if back := paramsFromHW(&hp, tc.want.Channels); back != tc.got {
				t.Errorf("paramsFromHW = %v\nwant           %v", back, tc.got)
			}
			if err := tc.hw.refine(&hp); err != nil {
				t.Errorf("chosen configuration does not refine: %v", err)
			}
		})
	}
}

func TestNegotiateFails(t *testing.T) {
	float := &fakeHW{formats: []Format{14}, rateMin: 8000, rateMax: 48000, chMin: 1, chMax: 2,
		periodMin: 16, periodMax: 8192, bufferMin: 64, bufferMax: 65536}
	_, _, err := negotiate(float, Params{Rate: 16000, Channels: 1})
	if err == nil || !strings.Contains(err.Error(), "FLOAT_LE") {
		t.Errorf("float-only card: err = %v, want one naming FLOAT_LE", err)
	}
	_, _, err = negotiate(usbHeadset(), Params{Rate: 16000, Channels: 1, Format: Format(14)})
	if err == nil {
		t.Error("unconvertible wanted format: no error")
	}
}

func TestMask(t *testing.T) {
	var m mask
	if !m.empty() || m.first() != -1 || m.single() {
		t.Fatal("zero mask")
	}
	m.set(10)
	m.set(40)
	if m.first() != 10 || !m.test(40) || m.test(11) || m.single() {
		t.Errorf("mask %v", m)
	}
	var o mask
	o.set(40)
	o.set(255)
	m.intersect(&o)
	if !m.single() || m.first() != 40 {
		t.Errorf("intersect = %v", m)
	}
	m.any()
	if !m.test(255) || !m.test(0) {
		t.Error("any")
	}
	m.only(32)
	if !m.single() || m.first() != 32 {
		t.Error("only")
	}
}

func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		name         string
		a, b         interval
		lo, hi       uint32
		empty        bool
		contains     []uint32
		notContained []uint32
	}{
		{"closed", interval{Min: 8000, Max: 48000}, interval{Min: 16000, Max: 96000}, 16000, 48000, false,
			[]uint32{16000, 48000}, []uint32{8000, 48001}},
		{"open ends", interval{Min: 1, Max: 10, Flags: intervalOpenMin}, interval{Min: 0, Max: 5, Flags: intervalOpenMax}, 2, 4, false,
			[]uint32{2, 4}, []uint32{1, 5}},
		{"disjoint", interval{Min: 1, Max: 2}, interval{Min: 3, Max: 4}, 3, 2, true, nil, []uint32{2, 3}},
		{"any", func() interval { var i interval; i.any(); return i }(), interval{Min: 441, Max: 441}, 441, 441, false,
			[]uint32{441}, []uint32{440, 442}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := tc.a
			i.intersect(&tc.b)
			if i.isEmpty() != tc.empty {
				t.Fatalf("empty = %v", i.isEmpty())
			}
			if !tc.empty && (i.lo() != tc.lo || i.hi() != tc.hi) {
				t.Errorf("[%d,%d], want [%d,%d]", i.lo(), i.hi(), tc.lo, tc.hi)
			}
			for _, v := range tc.contains {
				if !i.contains(v) {
					t.Errorf("does not contain %d", v)
				}
			}
			for _, v := range tc.notContained {
				if i.contains(v) {
					t.Errorf("contains %d", v)
				}
			}
		})
	}
}

func TestHWParamsAny(t *testing.T) {
	var p hwParams
	p.any()
	if !p.mask(paramFormat).test(uint(FormatS24_3LE)) || p.interval(paramRate).hi() != ^uint32(0) || p.Rmask != ^uint32(0) {
		t.Errorf("any: %+v", p)
	}
	c := capabilityOf(&p)
	if c.MinChannels != 0 || len(c.Formats) == 0 {
		t.Errorf("capabilityOf(any) = %+v", c)
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{FormatS16LE: "S16_LE", FormatS32LE: "S32_LE", FormatS24_3LE: "S24_3LE", 14: "FLOAT_LE", 200: "format(200)"} {
		if f.String() != want {
			t.Errorf("%d: %q, want %q", int(f), f.String(), want)
		}
	}
}
