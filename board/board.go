package board

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"periph.io/x/conn/v3/gpio"
)

// Board is the hardware the station runs on, as far as pins go. Code that
// uses a pin gets a gpio.PinIO and never knows which driver is behind it.
type Board interface {
	// Name returns the board's human name ("Raspberry Pi 5").
	Name() string
	// Pin returns the pin a user-written name resolves to (see Resolve).
	// Asking twice for the same pin, under any of its names, returns the
	// same pin.
	Pin(name string) (gpio.PinIO, error)
	// Close releases every pin the board handed out and unblocks their
	// WaitForEdge calls. Pins must not be used after Close.
	Close() error
}

// modelPaths are where Linux exposes the device tree's model string, tried in
// order.
var modelPaths = []string{"/proc/device-tree/model", "/sys/firmware/devicetree/base/model"}

// Open opens the board of the given kind: one of the Kind constants; "" is
// auto. Auto detects the board from the device tree's model string and falls
// back to generic when there is none or it names no board we know. Every kind
// but sim drives the pins through the Linux GPIO character device
// (/dev/gpiochip*).
func Open(kind string) (Board, error) {
	k := strings.ToLower(strings.TrimSpace(kind))
	switch k {
	case "", KindAuto:
		model, err := readModel(modelPaths)
		if err != nil {
			k = KindGeneric
		} else {
			k = DetectKind(model)
		}
	case KindSim:
		return NewSim(), nil
	}
	p, ok := Profiles[k]
	if !ok {
		return nil, fmt.Errorf("board kind %q: want one of auto, rpi3, rpi4, rpi5, rpizero2w, generic, sim", kind)
	}
	return openHost(p)
}

// readModel returns the device tree's model string from the first of paths
// that can be read, without its trailing NUL.
func readModel(paths []string) (string, error) {
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil {
			return strings.TrimSpace(strings.TrimRight(string(b), "\x00")), nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("device tree model: %w", errors.Join(errs...))
}

// DetectKind returns the kind of board a device tree model string names
// ("Raspberry Pi 4 Model B Rev 1.4" -> rpi4), or generic for any other board.
// The Pi 400 and Compute Module 4 count as rpi4, the Pi 500 and Compute
// Module 5 as rpi5, and the Compute Module 3 as rpi3: their GPIOs are numbered
// the same.
func DetectKind(model string) string {
	m := strings.TrimSpace(strings.TrimRight(model, "\x00"))
	rest, ok := strings.CutPrefix(m, "Raspberry Pi ")
	if !ok {
		return KindGeneric
	}
	rest = strings.TrimPrefix(rest, "Compute Module ")
	switch {
	case strings.HasPrefix(rest, "Zero 2"):
		return KindRPiZero2W
	case isModel(rest, "3"):
		return KindRPi3
	case isModel(rest, "4"), isModel(rest, "400"):
		return KindRPi4
	case isModel(rest, "5"), isModel(rest, "500"):
		return KindRPi5
	}
	return KindGeneric
}

// isModel reports whether rest starts with the model number n as a whole
// word ("4 Model B", "400 Rev 1.0", "4S Rev 1.0" for the CM4S, but not "40").
func isModel(rest, n string) bool {
	after, ok := strings.CutPrefix(rest, n)
	return ok && (after == "" || after[0] == ' ' || after[0] == '+' || after[0] == 'S')
}
