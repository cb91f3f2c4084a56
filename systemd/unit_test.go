package systemd

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	unitFile = "intercom.service"
	// The ExecStart the installers and DESIGN.md's CLI contract rely on.
	execStart = "/usr/bin/intercom run --config /etc/intercom/intercom.toml --log-format json"
)

// settings reads the unit's Key=Value lines of section [Service] (and the
// others, prefixed by nothing: keys do not clash in this unit), keeping every
// value of repeated keys.
func settings(t *testing.T, unit []byte) map[string][]string {
	t.Helper()
	m := make(map[string][]string)
	sc := bufio.NewScanner(bytes.NewReader(unit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not Key=Value", unitFile, line)
		}
		m[k] = append(m[k], v)
	}
	return m
}

// TestUnitSettings pins what the station relies on: notify with a watchdog
// the firmware feeds, restarts, the unprivileged user and its device access.
func TestUnitSettings(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	got := settings(t, unit)
	want := map[string][]string{
		"Type":                    {"notify"},
		"NotifyAccess":            {"main"},
		"ExecStart":               {execStart},
		"WatchdogSec":             {"30s"},
		"Restart":                 {"always"},
		"RestartSec":              {"2s"},
		"User":                    {"intercom"},
		"Group":                   {"intercom"},
		"DynamicUser":             {"no"},
		"SupplementaryGroups":     {"gpio audio"},
		"StateDirectory":          {"intercom"},
		"DevicePolicy":            {"closed"},
		"DeviceAllow":             {"char-gpiochip rw", "char-alsa rw"},
		"CapabilityBoundingSet":   {""},
		"NoNewPrivileges":         {"yes"},
		"ProtectSystem":           {"strict"},
		"ProtectHome":             {"yes"},
		"PrivateTmp":              {"yes"},
		"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
		"MemoryDenyWriteExecute":  {"yes"},
		"SystemCallArchitectures": {"native"},
		"WantedBy":                {"multi-user.target"},
	}
	for k, w := range want {
		if strings.Join(got[k], "|") != strings.Join(w, "|") {
			t.Errorf("%s: %s=%q, want %q", unitFile, k, got[k], w)
		}
	}
}

// TestUnitVerifies runs systemd-analyze verify on a copy of the unit whose
// ExecStart names an executable that exists here (verify checks that it
// does): the test binary itself. Any warning fails the test too, since
// verify reports unknown keys and bad values only as warnings.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze not found (Debian package systemd; make deps installs it)")
		}
		t.Skip("systemd-analyze not found (Debian package systemd)")
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart="+execStart+"\n")) {
		t.Fatalf("%s: no line ExecStart=%s", unitFile, execStart)
	}
	unit = bytes.Replace(unit, []byte("ExecStart=/usr/bin/intercom "), []byte("ExecStart="+self+" "), 1)
	path := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	// --man=no: verify would otherwise look up Documentation= man pages.
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}
}
