package peertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sipp is a sipp (Debian package sip-tester) running one call of a
// scenario on 127.0.0.1.
type Sipp struct {
	// Port is sipp's SIP port.
	Port int
	// Dir is sipp's working folder, where its trace and log files go.
	Dir string
	// PID is sipp's process ID.
	PID     int
	timeout time.Duration
	done    chan error
	out     *Buffer
}

// StartSipp runs sipp for one call of scenario: a built-in one ("uas",
// "uac") or a scenario file ending in .xml. args are added to sipp's
// command line (the remote address for a UAC, -rtp_echo, ...). Every
// message is traced; on failure the test logs sipp's output and messages.
// t.Cleanup stops sipp. The call must be over within 30 s.
func StartSipp(t testing.TB, scenario string, args ...string) *Sipp {
	t.Helper()
	return StartSippWithin(t, 30*time.Second, scenario, args...)
}

// StartSippWithin is StartSipp for a call that must be over within
// timeout: sipp fails the call after it, and Wait waits as long.
func StartSippWithin(t testing.TB, timeout time.Duration, scenario string, args ...string) *Sipp {
	t.Helper()
	path := NeedTool(t, "sipp")
	s := &Sipp{Port: FreePort(t, "udp"), Dir: t.TempDir(), timeout: timeout, done: make(chan error, 1), out: &Buffer{}}
	sf := []string{"-sn", scenario}
	if strings.HasSuffix(scenario, ".xml") {
		abs, err := filepath.Abs(scenario)
		if err != nil {
			t.Fatal(err)
		}
		sf = []string{"-sf", abs}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
	all := append(sf, "-i", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-m", "1", "-nostdin",
		"-timeout", strconv.Itoa(int(timeout.Seconds()+0.5))+"s", "-timeout_error", "-trace_msg", "-message_file", "sipp.log")
	cmd := exec.CommandContext(ctx, path, append(all, args...)...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	s.PID = cmd.Process.Pid
	go func() { s.done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			msgs, _ := os.ReadFile(filepath.Join(cmd.Dir, "sipp.log"))
			t.Logf("sipp output:\n%s\nsipp messages:\n%s", s.out.String(), msgs)
		}
	})
	return s
}

// Wait waits as long as the call may last for sipp to end its scenario and
// returns its exit error: nil when the call went as the scenario says.
func (s *Sipp) Wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(s.timeout):
		t.Fatalf("sipp did not finish its scenario within %v", s.timeout)
		return nil
	}
}
