package board

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kinds of board that Open accepts, as the config's [board] kind names them.
const (
	KindAuto      = "auto"
	KindRPi3      = "rpi3"
	KindRPi4      = "rpi4"
	KindRPi5      = "rpi5"
	KindRPiZero2W = "rpizero2w"
	KindGeneric   = "generic"
	KindSim       = "sim"
)

// Chip identifies a GPIO chip (a /dev/gpiochipN character device) by its
// kernel name ("gpiochip0"), by its label ("pinctrl-rp1"), or both. An empty
// field matches any chip; a Chip with both fields empty matches every chip.
type Chip struct {
	Name  string
	Label string
}

// Matches reports whether a chip with the kernel name and label given is c.
func (c Chip) Matches(name, label string) bool {
	return (c.Name == "" || c.Name == name) && (c.Label == "" || c.Label == label)
}

// String returns the chip as a user would look for it in gpioinfo's output.
func (c Chip) String() string {
	switch {
	case c.Name != "" && c.Label != "":
		return c.Name + " [" + c.Label + "]"
	case c.Name != "":
		return c.Name
	case c.Label != "":
		return "chip labelled " + c.Label
	}
	return "any chip"
}

// HeaderPin describes one pin of a board's 40-pin header.
type HeaderPin struct {
	// GPIO is the BCM GPIO number on the pin, or -1 for power and ground.
	GPIO int
	// Func says what else the pin is wired for ("I2C1 SDA", "GND", ...);
	// empty for a plain GPIO.
	Func string
	// Reserved is set for a pin that can't be used as a GPIO here: power,
	// ground, and the HAT ID EEPROM bus.
	Reserved bool
}

// Profile is what the firmware knows about one kind of board: the GPIO chip
// that carries the user-visible GPIOs and, for a Raspberry Pi, its 40-pin
// header. Profiles are plain values; Resolve maps pin names through them.
type Profile struct {
	// Kind is the name the config uses for the board ("rpi4").
	Kind string
	// Name is the board's human name ("Raspberry Pi 4").
	Name string
	// Chip is the GPIO chip whose line offsets are the BCM GPIO numbers.
	// The zero Chip (generic boards) means no numbering is known.
	Chip Chip
	// Header maps a 40-pin header pin number (1-40) to what is on it; nil
	// when the board has no known header.
	Header map[int]HeaderPin
	// MaxGPIO is the highest GPIO number a GPIOn name may use; meaningful
	// only when Header is not nil.
	MaxGPIO int
}

// piHeader is the 40-pin header shared by the Raspberry Pi 3, 4, 5 and
// Zero 2 W: header pin -> BCM GPIO and what else the pin does.
var piHeader = map[int]HeaderPin{
	1: {GPIO: -1, Func: "3.3V power", Reserved: true}, 2: {GPIO: -1, Func: "5V power", Reserved: true},
	3: {GPIO: 2, Func: "I2C1 SDA"}, 4: {GPIO: -1, Func: "5V power", Reserved: true},
	5: {GPIO: 3, Func: "I2C1 SCL"}, 6: {GPIO: -1, Func: "GND", Reserved: true},
	7: {GPIO: 4, Func: "GPCLK0"}, 8: {GPIO: 14, Func: "UART TXD"},
	9: {GPIO: -1, Func: "GND", Reserved: true}, 10: {GPIO: 15, Func: "UART RXD"},
	11: {GPIO: 17}, 12: {GPIO: 18, Func: "PCM CLK (I2S sound cards)"},
	13: {GPIO: 27}, 14: {GPIO: -1, Func: "GND", Reserved: true},
	15: {GPIO: 22}, 16: {GPIO: 23},
	17: {GPIO: -1, Func: "3.3V power", Reserved: true}, 18: {GPIO: 24},
	19: {GPIO: 10, Func: "SPI0 MOSI"}, 20: {GPIO: -1, Func: "GND", Reserved: true},
	21: {GPIO: 9, Func: "SPI0 MISO"}, 22: {GPIO: 25},
	23: {GPIO: 11, Func: "SPI0 SCLK"}, 24: {GPIO: 8, Func: "SPI0 CE0"},
	25: {GPIO: -1, Func: "GND", Reserved: true}, 26: {GPIO: 7, Func: "SPI0 CE1"},
	27: {GPIO: 0, Func: "ID_SD (HAT EEPROM I2C)", Reserved: true},
	28: {GPIO: 1, Func: "ID_SC (HAT EEPROM I2C)", Reserved: true},
	29: {GPIO: 5}, 30: {GPIO: -1, Func: "GND", Reserved: true},
	31: {GPIO: 6}, 32: {GPIO: 12, Func: "PWM0"},
	33: {GPIO: 13, Func: "PWM1"}, 34: {GPIO: -1, Func: "GND", Reserved: true},
	35: {GPIO: 19, Func: "PCM FS (I2S sound cards)"}, 36: {GPIO: 16},
	37: {GPIO: 26}, 38: {GPIO: 20, Func: "PCM DIN (I2S sound cards)"},
	39: {GPIO: -1, Func: "GND", Reserved: true}, 40: {GPIO: 21, Func: "PCM DOUT (I2S sound cards)"},
}

// Profiles holds the profile of every kind of board but auto, by kind.
// The sim profile has the Raspberry Pi header, so a config written for a Pi
// runs unchanged in the demo.
var Profiles = map[string]Profile{
	KindRPi3:      {Kind: KindRPi3, Name: "Raspberry Pi 3", Chip: Chip{Name: "gpiochip0"}, Header: piHeader, MaxGPIO: 27},
	KindRPi4:      {Kind: KindRPi4, Name: "Raspberry Pi 4", Chip: Chip{Name: "gpiochip0"}, Header: piHeader, MaxGPIO: 27},
	KindRPiZero2W: {Kind: KindRPiZero2W, Name: "Raspberry Pi Zero 2 W", Chip: Chip{Name: "gpiochip0"}, Header: piHeader, MaxGPIO: 27},
	// The RP1's header bank is gpiochip4 on older kernels and gpiochip0 on
	// newer ones; its label is the same on both.
	KindRPi5:    {Kind: KindRPi5, Name: "Raspberry Pi 5", Chip: Chip{Label: "pinctrl-rp1"}, Header: piHeader, MaxGPIO: 27},
	KindGeneric: {Kind: KindGeneric, Name: "generic arm64 board"},
	KindSim:     {Kind: KindSim, Name: "simulated board", Chip: Chip{Name: "sim"}, Header: piHeader, MaxGPIO: 27},
}

// Line is where a pin name leads: a line of a GPIO chip, by offset or, when
// the name is a line name, by that name.
type Line struct {
	// Chip is the chip to look in; the zero Chip means every chip.
	Chip Chip
	// Offset is the line's offset on the chip, or -1 when the line is to be
	// found by Name.
	Offset int
	// Name is the line name to look for when Offset is -1; otherwise the
	// canonical name of the pin ("GPIO17").
	Name string
	// Func says what else the pin is wired for, for a log line; empty for a
	// plain GPIO.
	Func string
}

// ErrUnknownPin is wrapped by Resolve's errors for names that are not a pin
// of the board.
var ErrUnknownPin = errors.New("unknown pin name")

// ErrReservedPin is wrapped by Resolve's errors for header pins that are not
// usable as GPIOs (power, ground, HAT EEPROM).
var ErrReservedPin = errors.New("pin not usable as a GPIO")

// Resolve maps a pin name, as a user writes it in the config, to a GPIO line
// of a board with profile p. It reads no files and opens no devices.
//
// Accepted names, case-insensitive where they are ours:
//   - "GPIO17" or "BCM17": BCM GPIO 17 (boards with a known header);
//   - "P1-11" or "PIN11": pin 11 of the 40-pin header;
//   - "gpiochip0:17": line 17 of the chip with that kernel name, any board;
//   - anything else: a line name as the GPIO character device reports it
//     (gpioinfo), looked up on the board's chip, or on every chip of a
//     generic board. On a generic board "GPIO17" is a line name, too.
func Resolve(p Profile, name string) (Line, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return Line{}, fmt.Errorf("empty pin name: %w", ErrUnknownPin)
	}
	if chip, off, ok := strings.Cut(n, ":"); ok && strings.HasPrefix(chip, "gpiochip") {
		o, err := strconv.Atoi(off)
		if err != nil || o < 0 {
			return Line{}, fmt.Errorf("pin %s: line offset %q is not a number: %w", name, off, ErrUnknownPin)
		}
		return Line{Chip: Chip{Name: chip}, Offset: o, Name: n}, nil
	}
	if p.Header == nil {
		return Line{Chip: p.Chip, Offset: -1, Name: n}, nil
	}
	up := strings.ToUpper(n)
	if num, ok := numberAfter(up, "P1-", "PIN"); ok {
		hp, ok := p.Header[num]
		if !ok {
			return Line{}, fmt.Errorf("pin %s: %s has no header pin %d (1-40): %w", name, p.Name, num, ErrUnknownPin)
		}
		if hp.Reserved {
			return Line{}, fmt.Errorf("pin %s is %s on %s: %w", name, hp.Func, p.Name, ErrReservedPin)
		}
		return Line{Chip: p.Chip, Offset: hp.GPIO, Name: "GPIO" + strconv.Itoa(hp.GPIO), Func: hp.Func}, nil
	}
	if num, ok := numberAfter(up, "GPIO", "BCM"); ok {
		if num > p.MaxGPIO {
			return Line{}, fmt.Errorf("pin %s: %s has GPIO0-GPIO%d: %w", name, p.Name, p.MaxGPIO, ErrUnknownPin)
		}
		l := Line{Chip: p.Chip, Offset: num, Name: "GPIO" + strconv.Itoa(num)}
		for _, hp := range p.Header {
			if hp.GPIO == num {
				if hp.Reserved {
					return Line{}, fmt.Errorf("pin %s is %s on %s: %w", name, hp.Func, p.Name, ErrReservedPin)
				}
				l.Func = hp.Func
			}
		}
		return l, nil
	}
	if p.Kind == KindSim {
		return Line{}, fmt.Errorf("pin %s: the simulated board has GPIOn and P1-n pins only: %w", name, ErrUnknownPin)
	}
	return Line{Chip: p.Chip, Offset: -1, Name: n}, nil
}

// numberAfter reports the decimal number that follows one of the prefixes
// in s, when s is exactly a prefix and a number.
func numberAfter(s string, prefixes ...string) (int, bool) {
	for _, pre := range prefixes {
		rest, ok := strings.CutPrefix(s, pre)
		if !ok || rest == "" || len(rest) > 3 {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err == nil && n >= 0 && rest[0] != '+' {
			return n, true
		}
	}
	return 0, false
}
