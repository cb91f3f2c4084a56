//go:build unix

package peertest

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestCloseEndsEveryProcess: Close leaves no process of a peer behind,
// kamailio's forked workers included, and can be called twice.
func TestCloseEndsEveryProcess(t *testing.T) {
	t.Parallel()
	needPeers(t)
	k := StartKamailio(t, KamailioConfig{Users: map[string]string{"a": "x"}})
	b := StartBaresip(t, BaresipConfig{User: "a", Password: "x", Domain: k.Domain(), Registrar: k.URI()})
	b.WaitEvent(t, "REGISTER_OK", eventTimeout)
	groups := map[string]int{"baresip": b.proc.cmd.Process.Pid, "kamailio": k.proc.cmd.Process.Pid}
	if err := syscall.Kill(-groups["kamailio"], 0); err != nil {
		t.Fatalf("kamailio's process group before Close: %v", err)
	}
	start := time.Now()
	b.Close()
	k.Close()
	b.Close()
	k.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
	for name, pgid := range groups {
		if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s's process group %d after Close: %v, want ESRCH (no process left)", name, pgid, err)
		}
	}
	if _, err := b.Command("listcalls", ""); err == nil {
		t.Error("a command after Close succeeded")
	}
}
