// Package hw drives the door station's peripherals: doorbell buttons, the door
// relay, status LEDs, the door contact and an optional tamper switch.
//
// Every peripheral works on periph's pin interfaces (gpio.PinIn, gpio.PinOut)
// and never knows which driver is behind a pin: the board package hands in
// real pins, tests hand in periph.io/x/conn/v3/gpio/gpiotest fake pins.
//
// Inputs (Button, Door, Tamper) are watched by one goroutine each, started by
// the owner with Run(ctx) and ended by cancelling ctx; Run returns only when
// the goroutine is done, so the owner waits for it (an errgroup or a
// WaitGroup). Pins are waited on with WaitForEdge; a cancelled context halts
// them, which ends the wait, and PollInterval bounds it in any case.
//
// What happens on a pin becomes an Event posted to a Sink. A Sink must never
// block; Queue is the Sink the firmware uses: bounded, and coalescing repeated
// momentary events (a burst of presses while the consumer is busy becomes one
// pending press with a Count) so that in practice nothing is dropped; drops,
// should they ever happen, are counted.
//
// The relay is the one output that can hurt someone or leave a door unlocked:
// it is driven off when constructed, on Close, when its maximum on-time runs
// out (a timer, independent of any goroutine of the caller), and by AllSafe,
// which SafeOnPanic calls on a panic before re-panicking. See Relay.
package hw
