//go:build !linux

package pace

import "errors"

// newClock fails: only Linux has a pollable periodic clock here, and
// elsewhere Pacers sleep on the runtime's timers.
func newClock() (ticker, error) { return nil, errors.New("pace: no pollable clock") }
