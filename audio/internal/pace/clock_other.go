//go:build !linux

package pace

import (
	"errors"
	"time"
)

// clock is a pollable timer where the system has one; elsewhere Pacers
// sleep on the runtime's timers.
type clock struct{}

func newClock() (*clock, error) { return nil, errors.New("pace: no pollable clock") }

func (*clock) sleep(time.Duration) {}

func (*clock) close() error { return nil }
