// Package board will hold what differs between boards: pin maps and the
// periph host drivers for the supported Raspberry Pi models and generic arm64
// boards, and a simulated board for tests and the demo. It depends on periph
// only.
package board
