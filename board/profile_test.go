package board

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// piWant is what every Raspberry Pi profile resolves: the 40-pin header and
// GPIO names are the same on all of them; only the chip differs.
var piWant = []struct {
	name   string
	offset int // -1: looked up by line name
	line   string
	err    error
	msg    string // part of the error message
}{
	{name: "GPIO17", offset: 17, line: "GPIO17"},
	{name: "gpio17", offset: 17, line: "GPIO17"},
	{name: " GPIO27 ", offset: 27, line: "GPIO27"},
	{name: "BCM4", offset: 4, line: "GPIO4"},
	{name: "GPIO2", offset: 2, line: "GPIO2"},
	{name: "P1-11", offset: 17, line: "GPIO17"},
	{name: "p1-13", offset: 27, line: "GPIO27"},
	{name: "PIN40", offset: 21, line: "GPIO21"},
	{name: "P1-3", offset: 2, line: "GPIO2"},
	{name: "P1-36", offset: 16, line: "GPIO16"},
	{name: "P1-1", err: ErrReservedPin, msg: "3.3V power"},
	{name: "P1-6", err: ErrReservedPin, msg: "GND"},
	{name: "P1-27", err: ErrReservedPin, msg: "ID_SD"},
	{name: "GPIO0", err: ErrReservedPin, msg: "ID_SD"},
	{name: "GPIO1", err: ErrReservedPin, msg: "ID_SC"},
	{name: "P1-41", err: ErrUnknownPin, msg: "no header pin 41"},
	{name: "P1-0", err: ErrUnknownPin},
	{name: "GPIO28", err: ErrUnknownPin, msg: "GPIO0-GPIO27"},
	{name: "GPIO999", err: ErrUnknownPin},
	{name: "", err: ErrUnknownPin},
	{name: "gpiochip1:5", offset: 5, line: "gpiochip1:5"},
	{name: "gpiochip0:x", err: ErrUnknownPin},
	{name: "GPIO_GCLK", offset: -1, line: "GPIO_GCLK"},
	{name: "SPI_MOSI", offset: -1, line: "SPI_MOSI"},
	{name: "P1-", offset: -1, line: "P1-"},
}

func TestResolvePi(t *testing.T) {
	chips := map[string]Chip{
		KindRPi3:      {Name: "gpiochip0"},
		KindRPi4:      {Name: "gpiochip0"},
		KindRPiZero2W: {Name: "gpiochip0"},
		KindRPi5:      {Label: "pinctrl-rp1"},
	}
	for kind, chip := range chips {
		p := Profiles[kind]
		for _, tt := range piWant {
			got, err := Resolve(p, tt.name)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("%s: Resolve(%q) = %+v, %v; want error %v containing %q", kind, tt.name, got, err, tt.err, tt.msg)
				}
				continue
			}
			want := chip
			if strings.HasPrefix(tt.name, "gpiochip") {
				want = Chip{Name: "gpiochip1"}
			}
			if err != nil || got.Offset != tt.offset || got.Name != tt.line || got.Chip != want {
				t.Errorf("%s: Resolve(%q) = %+v, %v; want %s line %d %q", kind, tt.name, got, err, want, tt.offset, tt.line)
			}
		}
	}
}

func TestResolveFunc(t *testing.T) {
	for name, want := range map[string]string{"P1-3": "I2C1 SDA", "GPIO18": "PCM CLK (I2S sound cards)", "GPIO17": ""} {
		l, err := Resolve(Profiles[KindRPi4], name)
		if err != nil || l.Func != want {
			t.Errorf("Resolve(%q).Func = %q, %v; want %q", name, l.Func, err, want)
		}
	}
}

// TestHeaderComplete checks the header map against the Pi's pinout: 40 pins,
// 26 of them usable GPIOs, each GPIO on one pin.
func TestHeaderComplete(t *testing.T) {
	seen := map[int]int{}
	usable := 0
	for n := 1; n <= 40; n++ {
		hp, ok := piHeader[n]
		if !ok {
			t.Fatalf("header pin %d missing", n)
		}
		if hp.GPIO >= 0 {
			if prev, dup := seen[hp.GPIO]; dup {
				t.Errorf("GPIO%d on pins %d and %d", hp.GPIO, prev, n)
			}
			seen[hp.GPIO] = n
		}
		if !hp.Reserved {
			usable++
		}
	}
	if len(piHeader) != 40 || len(seen) != 28 || usable != 26 {
		t.Errorf("header: %d pins, %d GPIOs, %d usable; want 40, 28, 26", len(piHeader), len(seen), usable)
	}
}

func TestResolveGeneric(t *testing.T) {
	p := Profiles[KindGeneric]
	for _, tt := range []struct {
		name   string
		want   Line
		errMsg string
	}{
		{name: "GPIO17", want: Line{Offset: -1, Name: "GPIO17"}},
		{name: "PH7", want: Line{Offset: -1, Name: "PH7"}},
		{name: "P1-11", want: Line{Offset: -1, Name: "P1-11"}},
		{name: "gpiochip2:7", want: Line{Chip: Chip{Name: "gpiochip2"}, Offset: 7, Name: "gpiochip2:7"}},
		{name: "gpiochip2:-1", errMsg: "unknown pin name"},
		{name: "", errMsg: "unknown pin name"},
	} {
		got, err := Resolve(p, tt.name)
		if tt.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errMsg) {
				t.Errorf("Resolve(generic, %q) = %+v, %v; want error %q", tt.name, got, err, tt.errMsg)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(generic, %q) = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestResolveSim(t *testing.T) {
	p := Profiles[KindSim]
	for name, off := range map[string]int{"GPIO17": 17, "P1-11": 17, "gpio27": 27, "P1-13": 27} {
		if l, err := Resolve(p, name); err != nil || l.Offset != off {
			t.Errorf("Resolve(sim, %q) = %+v, %v; want offset %d", name, l, err, off)
		}
	}
	for _, name := range []string{"doorbell", "GPIO_GCLK", "P1-2", "GPIO30"} {
		if l, err := Resolve(p, name); !errors.Is(err, ErrUnknownPin) && !errors.Is(err, ErrReservedPin) {
			t.Errorf("Resolve(sim, %q) = %+v, %v; want an error", name, l, err)
		}
	}
}

func TestProfilesNamed(t *testing.T) {
	for _, k := range []string{KindRPi3, KindRPi4, KindRPi5, KindRPiZero2W, KindGeneric, KindSim} {
		p, ok := Profiles[k]
		if !ok || p.Kind != k || p.Name == "" {
			t.Errorf("profile %q = %+v, %v", k, p, ok)
		}
	}
}

func TestDetectKind(t *testing.T) {
	for model, want := range map[string]string{
		"Raspberry Pi 3 Model B Rev 1.2\x00":         KindRPi3,
		"Raspberry Pi 3 Model B Plus Rev 1.3\x00":    KindRPi3,
		"Raspberry Pi 3 Model A Plus Rev 1.1":        KindRPi3,
		"Raspberry Pi Compute Module 3 Plus Rev 1.0": KindRPi3,
		"Raspberry Pi 4 Model B Rev 1.4\x00":         KindRPi4,
		"Raspberry Pi 400 Rev 1.0\x00":               KindRPi4,
		"Raspberry Pi Compute Module 4 Rev 1.0\x00":  KindRPi4,
		"Raspberry Pi Compute Module 4S Rev 1.0":     KindRPi4,
		"Raspberry Pi 5 Model B Rev 1.0\x00":         KindRPi5,
		"Raspberry Pi 500 Rev 1.0\x00":               KindRPi5,
		"Raspberry Pi Compute Module 5 Rev 1.0\x00":  KindRPi5,
		"Raspberry Pi Zero 2 W Rev 1.0\x00":          KindRPiZero2W,
		"Raspberry Pi Zero W Rev 1.1\x00":            KindGeneric,
		"Raspberry Pi 2 Model B Rev 1.1":             KindGeneric,
		"Raspberry Pi 40":                            KindGeneric,
		"Radxa ROCK 5B\x00":                          KindGeneric,
		"Pine64 RockPro64 v2.1":                      KindGeneric,
		"":                                           KindGeneric,
	} {
		if got := DetectKind(model); got != want {
			t.Errorf("DetectKind(%q) = %s; want %s", model, got, want)
		}
	}
}

func TestReadModel(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "proc-model")
	sys := filepath.Join(dir, "sys-model")
	if err := os.WriteFile(sys, []byte("Raspberry Pi 5 Model B Rev 1.0\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readModel([]string{missing, sys})
	if err != nil || m != "Raspberry Pi 5 Model B Rev 1.0" || DetectKind(m) != KindRPi5 {
		t.Errorf("readModel = %q, %v", m, err)
	}
	if _, err := readModel([]string{missing}); err == nil {
		t.Error("readModel of a missing file: no error")
	}
}

func TestOpenKinds(t *testing.T) {
	b, err := Open("SIM")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(*Sim); !ok || b.Name() != "simulated board" {
		t.Errorf("Open(sim) = %T %q", b, b.Name())
	}
	_ = b.Close()
	if _, err := Open("rpi6"); err == nil || !strings.Contains(err.Error(), "rpi6") {
		t.Errorf("Open(rpi6) error = %v", err)
	}
}

// fakeChip is a hostChip with named lines.
type fakeChip struct {
	name, label string
	lines       []string
}

func (c fakeChip) Name() string          { return c.name }
func (c fakeChip) Label() string         { return c.label }
func (c fakeChip) LineCount() int        { return len(c.lines) }
func (c fakeChip) LineName(o int) string { return c.lines[o] }
func gpioNames(n int, extra ...string) []string {
	var s []string
	for i := 0; i < n; i++ {
		s = append(s, "GPIO"+itoa(i))
	}
	return append(s, extra...)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestFindLine checks the step between Resolve and gpioioctl: finding the
// chip and the line on chip sets as the kernels report them.
func TestFindLine(t *testing.T) {
	pi5old := []hostChip{ // kernel 6.1: RP1 on gpiochip4
		fakeChip{"gpiochip0", "gpio-brcmstb@107d508500", []string{"-", "2712_BOOT_CS_N"}},
		fakeChip{"gpiochip4", "pinctrl-rp1", gpioNames(28, "PCIE_RP1_WAKE")},
	}
	pi5new := []hostChip{ // kernel 6.6+: RP1 on gpiochip0
		fakeChip{"gpiochip0", "pinctrl-rp1", gpioNames(28, "PCIE_RP1_WAKE")},
		fakeChip{"gpiochip10", "gpio-brcmstb@107d508500", []string{"-", "2712_BOOT_CS_N"}},
	}
	pi4 := []hostChip{
		fakeChip{"gpiochip0", "pinctrl-bcm2711", append([]string{"ID_SDA", "ID_SCL", "SDA1", "SCL1", "GPIO_GCLK"}, gpioNames(58)[5:]...)},
		fakeChip{"gpiochip1", "raspberrypi-exp-gpio", []string{"BT_ON", "WL_ON"}},
	}
	for _, tt := range []struct {
		desc     string
		kind     string
		chips    []hostChip
		pin      string
		chip     int
		offset   int
		errMatch string
	}{
		{"pi5 old kernel", KindRPi5, pi5old, "GPIO17", 1, 17, ""},
		{"pi5 new kernel", KindRPi5, pi5new, "P1-11", 0, 17, ""},
		{"pi5 line name", KindRPi5, pi5new, "PCIE_RP1_WAKE", 0, 28, ""},
		{"pi5 line on another chip", KindRPi5, pi5new, "2712_BOOT_CS_N", 0, 0, "no line named"},
		{"pi5 explicit chip", KindRPi5, pi5new, "gpiochip10:1", 1, 1, ""},
		{"pi5 chip missing", KindRPi5, pi4, "GPIO17", 0, 0, "no GPIO chip chip labelled pinctrl-rp1"},
		{"pi4", KindRPi4, pi4, "GPIO17", 0, 17, ""},
		{"pi4 line name", KindRPi4, pi4, "GPIO_GCLK", 0, 4, ""},
		{"pi4 offset out of range", KindRPi4, []hostChip{fakeChip{"gpiochip0", "x", []string{"a"}}}, "GPIO17", 0, 0, "1 lines, no line 17"},
		{"generic any chip", KindGeneric, pi4, "WL_ON", 1, 1, ""},
		{"generic unknown", KindGeneric, pi4, "doorbell", 0, 0, "unknown pin name"},
		{"generic prefixed duplicate", KindGeneric, []hostChip{fakeChip{"gpiochip3", "b", []string{"gpiochip3-2712_WAKE"}}}, "2712_WAKE", 0, 0, ""},
	} {
		l, err := Resolve(Profiles[tt.kind], tt.pin)
		if err != nil {
			t.Fatalf("%s: Resolve(%q): %v", tt.desc, tt.pin, err)
		}
		c, o, err := findLine(tt.chips, l, tt.pin)
		if tt.errMatch != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errMatch) {
				t.Errorf("%s: findLine = %d, %d, %v; want error %q", tt.desc, c, o, err, tt.errMatch)
			}
			continue
		}
		if err != nil || c != tt.chip || o != tt.offset {
			t.Errorf("%s: findLine = %d, %d, %v; want %d, %d", tt.desc, c, o, err, tt.chip, tt.offset)
		}
	}
}
