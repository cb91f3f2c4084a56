// Package sdnotify speaks systemd's notify protocol (sd_notify(3)) with the
// standard library only: readiness, stopping, status text and watchdog
// keep-alives sent as datagrams to $NOTIFY_SOCKET.
//
// Every function is a no-op, returning nil, when NOTIFY_SOCKET is unset, so
// the firmware behaves the same outside systemd (a shell, the tests, demo).
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Send sends one notification state (for example "READY=1", or several
// newline-separated assignments) to $NOTIFY_SOCKET. A relative or '@'
// (abstract namespace) address is supported. It returns nil without sending
// when NOTIFY_SOCKET is unset or empty.
func Send(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if addr[0] != '/' && addr[0] != '@' {
		return fmt.Errorf("sdnotify: NOTIFY_SOCKET %q: want an absolute path or an @abstract name", addr)
	}
	// Go's net package maps a leading '@' to the abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: send to %s: %w", addr, err)
	}
	return nil
}

// Ready tells systemd that start-up is done (Type=notify units).
func Ready() error { return Send("READY=1") }

// Stopping tells systemd that the service is shutting down.
func Stopping() error { return Send("STOPPING=1") }

// Status sets the one-line status that systemctl status shows. Newlines in
// s are replaced with spaces: they would start another assignment.
func Status(s string) error {
	return Send("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// Watchdog sends one watchdog keep-alive (WatchdogSec=).
func Watchdog() error { return Send("WATCHDOG=1") }

// WatchdogInterval returns the watchdog timeout systemd expects keep-alives
// within, from $WATCHDOG_USEC, and whether the watchdog is on for this
// process: false when WATCHDOG_USEC is unset, not a positive number, or when
// $WATCHDOG_PID is set to another process's pid.
func WatchdogInterval() (time.Duration, bool) {
	d, err := watchdogInterval(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid())
	return d, err == nil
}

var errNoWatchdog = errors.New("sdnotify: watchdog off")

func watchdogInterval(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, errNoWatchdog
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil || p != self {
			return 0, errNoWatchdog
		}
	}
	u, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || u <= 0 || u > int64(time.Duration(1<<63-1)/time.Microsecond) {
		return 0, errNoWatchdog
	}
	return time.Duration(u) * time.Microsecond, nil
}
