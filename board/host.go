package board

import (
	"fmt"
	"strings"
	"sync"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3/gpioioctl"
)

// The host board is kept thin on purpose: it resolves a name with Resolve and
// hands out periph's gpioioctl line. Nothing here runs in the tests (there is
// no /dev/gpiochip* in CI); what can be tested without hardware lives in
// Resolve, DetectKind and findLine.

// hostChip is the little of a gpioioctl.GPIOChip that findLine needs, so the
// lookup can be tested with fakes.
type hostChip interface {
	Name() string
	Label() string
	LineCount() int
	LineName(offset int) string
}

// ioctlChip adapts a gpioioctl chip to hostChip.
type ioctlChip struct{ c *gpioioctl.GPIOChip }

func (c ioctlChip) Name() string   { return c.c.Name() }
func (c ioctlChip) Label() string  { return c.c.Label() }
func (c ioctlChip) LineCount() int { return c.c.LineCount() }
func (c ioctlChip) LineName(o int) string {
	if l := c.c.ByNumber(o); l != nil {
		return l.Name()
	}
	return ""
}

// findLine returns the index in chips and the offset of the line l names,
// or an error that says what was looked for and where.
func findLine(chips []hostChip, l Line, pinName string) (int, int, error) {
	var seen []string
	for i, c := range chips {
		if !l.Chip.Matches(c.Name(), c.Label()) {
			continue
		}
		seen = append(seen, c.Name()+" ["+c.Label()+"]")
		if l.Offset >= 0 {
			if l.Offset >= c.LineCount() {
				return 0, 0, fmt.Errorf("pin %s: %s has %d lines, no line %d", pinName, c.Name(), c.LineCount(), l.Offset)
			}
			return i, l.Offset, nil
		}
		for o := 0; o < c.LineCount(); o++ {
			// gpioioctl prefixes a line name that two chips share with
			// "gpiochipN-".
			if n := c.LineName(o); n == l.Name || n == c.Name()+"-"+l.Name {
				return i, o, nil
			}
		}
	}
	if len(seen) == 0 {
		return 0, 0, fmt.Errorf("pin %s: no GPIO chip %s (is this the right board kind?)", pinName, l.Chip)
	}
	return 0, 0, fmt.Errorf("pin %s: %w: no line named %q on %s (see gpioinfo)", pinName, ErrUnknownPin, l.Name, strings.Join(seen, ", "))
}

// host is a board whose pins are lines of the Linux GPIO character device,
// through periph's gpioioctl driver.
type host struct {
	p Profile

	mu     sync.Mutex
	chips  []*gpioioctl.GPIOChip
	lines  map[*gpioioctl.GPIOLine]bool
	closed bool
}

// initOnce loads periph's registered drivers (here only gpioioctl, which
// opens every /dev/gpiochip*) once per process.
var initOnce = sync.OnceValue(func() error {
	_, err := driverreg.Init()
	return err
})

// openHost opens the GPIO chips for a board with profile p.
func openHost(p Profile) (Board, error) {
	if err := initOnce(); err != nil {
		return nil, fmt.Errorf("%s: gpio: %w", p.Name, err)
	}
	if len(gpioioctl.Chips) == 0 {
		return nil, fmt.Errorf("%s: no GPIO chips (/dev/gpiochip*) found or readable", p.Name)
	}
	h := &host{p: p, chips: gpioioctl.Chips, lines: map[*gpioioctl.GPIOLine]bool{}}
	if p.Chip != (Chip{}) {
		found := false
		for _, c := range h.chips {
			found = found || p.Chip.Matches(c.Name(), c.Label())
		}
		if !found {
			return nil, fmt.Errorf("%s: no GPIO chip %s; is the board kind right?", p.Name, p.Chip)
		}
	}
	return h, nil
}

// Name implements Board.
func (h *host) Name() string { return h.p.Name }

// Pin implements Board: the gpioioctl line the name resolves to.
func (h *host) Pin(name string) (gpio.PinIO, error) {
	l, err := Resolve(h.p, name)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("pin %s: board closed", name)
	}
	cs := make([]hostChip, len(h.chips))
	for i, c := range h.chips {
		cs[i] = ioctlChip{c}
	}
	i, o, err := findLine(cs, l, name)
	if err != nil {
		return nil, err
	}
	line := h.chips[i].ByNumber(o)
	if line == nil {
		return nil, fmt.Errorf("pin %s: %s has no line %d", name, h.chips[i].Name(), o)
	}
	h.lines[line] = true
	return line, nil
}

// Close implements Board: it unblocks WaitForEdge on every line handed out
// and releases the lines' requests, so the kernel shows them unused again.
// The chips stay open: gpioioctl keeps them for the process.
func (h *host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	for l := range h.lines {
		_ = l.Halt()
		l.Close()
	}
	return nil
}
