package sipua

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"intercom/sipua/transport"
)

// needTool returns the path of a third-party program a test drives. Outside
// CI a missing one skips the test; in CI (CI=true) it fails it, so that no
// skipped test hides a missing install.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (make deps installs it)", name)
		}
		t.Skipf("%s is not installed; make deps installs it", name)
	}
	return path
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// TestRegisterWithSipp registers at sipp acting as a registrar that
// challenges with Digest and checks the answer (testdata/sipp/registrar.xml),
// then unregisters. Both sides must agree: we see a 300 s registration, and
// sipp ends its scenario successfully.
func TestRegisterWithSipp(t *testing.T) {
	sippPath := needTool(t, "sipp")
	scenario, err := filepath.Abs("testdata/sipp/registrar.xml")
	if err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sipp := exec.CommandContext(ctx, sippPath, "-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(int(port)),
		"-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	sipp.Dir = t.TempDir()
	out := &lockedBuffer{}
	sipp.Stdout, sipp.Stderr = out, out
	if err := sipp.Start(); err != nil {
		t.Fatal(err)
	}
	sippDone := make(chan error, 1)
	go func() { sippDone <- sipp.Wait() }()

	layer, local := station(t)
	registrar := transport.Addr{Transport: "UDP", AddrPort: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret"}, layer, registrar, local, nil)
	r.BackoffBase, r.BackoffMax, r.Timeout = 100*time.Millisecond, 500*time.Millisecond, 2*time.Second // sipp may still be starting
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(runCtx) }()

	waitFor(t, "registered at sipp", func() bool { return r.Status().State == Registered })
	if st := r.Status(); st.Expires != 300*time.Second {
		t.Errorf("granted %v, want the 300 s sipp's Contact gives", st.Expires)
	}
	stop()
	if err := <-runDone; err != nil {
		t.Errorf("unregister: %v", err)
	}
	select {
	case err := <-sippDone:
		if err != nil {
			t.Errorf("sipp failed: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("sipp did not finish its scenario\n%s", out.String())
	}
}
