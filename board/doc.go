// Package board holds what differs between boards: which GPIO chip carries
// the header's GPIOs, the 40-pin header map, and how a pin name from the
// config becomes a periph gpio.PinIO.
//
// Open returns a Board for a kind (auto, rpi3, rpi4, rpi5, rpizero2w,
// generic, sim); auto reads the device tree's model string. Pin names are
// what a user knows: "GPIO17", header pin "P1-11", a line name as gpioinfo
// shows it, or "gpiochip0:17". Resolve does that mapping without touching
// hardware. Real boards drive their pins through the Linux GPIO character
// device with periph's gpioioctl driver, and nothing else from periph's host
// drivers, so the Pi 5 (RP1) and other arm64 boards work and the binary stays
// small; that path needs /dev/gpiochip* and is not exercised by the tests.
//
// The sim kind is a simulated board for tests and the demo: its *Sim drives
// inputs (Set, Release), reads outputs back (Level, WaitLevel), and its pins
// honour pulls and edge detection like real ones.
//
// The package depends on periph only.
package board
