package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// netnsStationEnv names the config file of a station the test binary runs
// as "intercom run" inside a network namespace (see TestNetnsStation).
const netnsStationEnv = "INTERCOM_NETNS_STATION_CONFIG"

// TestNetnsStationHelper is not a test: it is "intercom run" in the
// process TestLinkDownAndUp starts inside the station's namespace.
func TestNetnsStationHelper(t *testing.T) {
	cfg := os.Getenv(netnsStationEnv)
	if cfg == "" {
		t.Skip("runs only as the station of TestLinkDownAndUp")
	}
	os.Exit(run([]string{"run", "--config", cfg, "--log-format", "json"}, os.Stdout, os.Stderr))
}

// needRoot skips a test that must create network namespaces unless it
// runs as root; with CI=true it fails instead.
func needRoot(t *testing.T) {
	t.Helper()
	peertest.NeedTool(t, "ip")
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("network namespace tests need root")
	}
	t.Skip("network namespace tests need root")
}

// ipCmd runs ip with args and fails the test if it fails.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// netnsPair creates two network namespaces joined by a veth pair,
// station side 10.213.N.1/24, registrar side 10.213.N.2/24, both up, and
// deletes them when the test ends. It returns the namespaces' and the
// station's interface's names.
func netnsPair(t *testing.T) (sta, reg, staIf string) {
	t.Helper()
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, time.Now().UnixNano()%1000)
	sta, reg = "icsta"+id, "icreg"+id
	staIf, regIf := "vs"+id, "vr"+id
	net := fmt.Sprintf("10.213.%d", os.Getpid()%250+1)
	ipCmd(t, "netns", "add", sta)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", sta).Run() })
	ipCmd(t, "netns", "add", reg)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", reg).Run() })
	ipCmd(t, "link", "add", staIf, "netns", sta, "type", "veth", "peer", "name", regIf, "netns", reg)
	ipCmd(t, "-n", sta, "addr", "add", net+".1/24", "dev", staIf)
	ipCmd(t, "-n", reg, "addr", "add", net+".2/24", "dev", regIf)
	for _, ns := range [][2]string{{sta, staIf}, {reg, regIf}} {
		ipCmd(t, "-n", ns[0], "link", "set", "lo", "up")
		ipCmd(t, "-n", ns[0], "link", "set", ns[1], "up")
	}
	return sta, reg, staIf
}

// logEvent is one line of the station's JSON log that has an event.
type logEvent struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
}

// TestLinkDownAndUp: the station and kamailio in two network namespaces
// joined by a veth pair. The station's link goes down for 8 s: the
// station finds the registrar unreachable (its probe cannot be sent) and
// registers again within seconds of the link coming back up.
func TestLinkDownAndUp(t *testing.T) {
	skipShort(t) // also: it re-runs its binary in the namespace, which qemu-user cannot
	needRoot(t)
	sta, reg, staIf := netnsPair(t)
	net := fmt.Sprintf("10.213.%d", os.Getpid()%250+1)
	startRegistrar(t, net+".2", 5060, net+".2", reg, map[string]string{"door": "pw"})
	cfg := writeConfig(t, fmt.Sprintf(`
[sip]
listen = "0.0.0.0:5060"
user = "door"
domain = "%s.2"
password = "pw"
keepalive = "1s"
`, net))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", sta, self, "-test.run=^TestNetnsStationHelper$")
	cmd.Env = append(os.Environ(), netnsStationEnv+"="+cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs peertest.Buffer
	cmd.Stdout = &logs
	events := make(chan logEvent, 64)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = logs.Write(append(sc.Bytes(), '\n'))
			var e logEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Event != "" {
				select {
				case events <- e:
				default:
				}
			}
		}
		close(events)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("station log:\n%s", logs.String())
		}
	})
	next := func(name string, within time.Duration) logEvent {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("the station ended before %s", name)
				}
				if e.Event == name {
					return e
				}
			case <-deadline:
				t.Fatalf("no %s within %v", name, within)
			}
		}
	}
	next("registered", 20*time.Second)
	time.Sleep(2 * time.Second) // probes answered

	ipCmd(t, "-n", sta, "link", "set", staIf, "down")
	down := time.Now()
	failed := next("registration_failed", 10*time.Second)
	t.Logf("link down: registration failed %v after", failed.Time.Sub(down).Round(time.Millisecond))
	time.Sleep(8*time.Second - time.Since(down))
	ipCmd(t, "-n", sta, "link", "set", staIf, "up")
	up := time.Now()
	back := next("registered", 30*time.Second)
	took := back.Time.Sub(up)
	t.Logf("link up after 8 s down: registered again %v after", took.Round(time.Millisecond))
	if took > recoveryBound {
		t.Errorf("registered again %v after the link came up, want within %v", took, recoveryBound)
	}
}
