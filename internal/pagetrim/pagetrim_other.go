//go:build !linux

package pagetrim

// Release does nothing outside Linux.
func Release() (int, error) { return 0, nil }
