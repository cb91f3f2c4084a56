package sdnotify

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen opens a unixgram socket at addr (a path, or @name for the abstract
// namespace), points NOTIFY_SOCKET at it and returns it.
func listen(t *testing.T, addr string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", addr)
	return conn
}

// recv reads one datagram; the deadline only guards against a hang.
func recv(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read datagram: %v", err)
	}
	return string(buf[:n])
}

func TestSend(t *testing.T) {
	sockets := map[string]func(t *testing.T) string{
		"path": func(t *testing.T) string { return filepath.Join(t.TempDir(), "notify.sock") },
		"abstract": func(t *testing.T) string {
			return fmt.Sprintf("@intercom-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
		},
	}
	calls := []struct {
		name string
		call func() error
		want string
	}{
		{"Ready", Ready, "READY=1"},
		{"Stopping", Stopping, "STOPPING=1"},
		{"Status", func() error { return Status("registered as door@pbx") }, "STATUS=registered as door@pbx"},
		{"StatusNewline", func() error { return Status("two\nlines") }, "STATUS=two lines"},
		{"Watchdog", Watchdog, "WATCHDOG=1"},
	}
	for kind, addr := range sockets {
		t.Run(kind, func(t *testing.T) {
			conn := listen(t, addr(t))
			for _, c := range calls {
				if err := c.call(); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if got := recv(t, conn); got != c.want {
					t.Errorf("%s sent %q, want %q", c.name, got, c.want)
				}
			}
		})
	}
}

func TestUnsetIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for name, f := range map[string]func() error{
		"Ready": Ready, "Stopping": Stopping, "Watchdog": Watchdog,
		"Status": func() error { return Status("x") },
	} {
		if err := f(); err != nil {
			t.Errorf("%s with NOTIFY_SOCKET unset: %v", name, err)
		}
	}
}

func TestSendErrors(t *testing.T) {
	for _, addr := range []string{
		"relative/notify.sock",
		filepath.Join(t.TempDir(), "missing.sock"),
	} {
		t.Setenv("NOTIFY_SOCKET", addr)
		if err := Ready(); err == nil {
			t.Errorf("NOTIFY_SOCKET=%q: Ready succeeded, want an error", addr)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	const self = 4242
	tests := []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"30000000", "", 30 * time.Second, true},
		{"30000000", "4242", 30 * time.Second, true},
		{"30000000", "4243", 0, false},
		{"30000000", "x", 0, false},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"abc", "", 0, false},
		{"99999999999999999999", "", 0, false},
		{"500", "", 500 * time.Microsecond, true},
	}
	for _, tt := range tests {
		got, err := watchdogInterval(tt.usec, tt.pid, self)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("watchdogInterval(%q, %q) = %v, %v; want %v, ok %v", tt.usec, tt.pid, got, err, tt.want, tt.ok)
		}
	}

	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if d, ok := WatchdogInterval(); !ok || d != 30*time.Second {
		t.Errorf("WatchdogInterval() = %v, %v; want 30s, true", d, ok)
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if d, ok := WatchdogInterval(); ok {
		t.Errorf("WatchdogInterval() for another pid = %v, true; want false", d)
	}
}
