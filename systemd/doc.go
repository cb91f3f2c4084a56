// Package systemd holds no code: the directory carries intercom.service,
// the unit that runs the station, and unit_test.go, which checks the unit
// with systemd-analyze verify. The package exists so go test ./... runs it.
package systemd
