package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// TestBaresipPassesChallenge: baresip 1.0 (libre 1.x) gives up on a
// challenge that offers SHA-256, so a station with [answer] users is
// reachable from it only with digest_algorithms = ["MD5"]. With that, its
// call answers the challenge and is auto-answered; the station's 401
// offers MD5 alone.
func TestBaresipPassesChallenge(t *testing.T) {
	port := peertest.FreePort(t, "udp")
	cfg := writeConfig(t, fmt.Sprintf(`[sip]
listen = "127.0.0.1:%d"
user = "door"
[answer]
auto = true
delay = "0s"
allow = ["127.0.0.1"]
users = { concierge = "s3cret-Pw" }
digest_algorithms = ["MD5"]
`, port))
	var out, logs peertest.Buffer
	status := make(chan int, 1)
	go func() { status <- run([]string{"run", "--config", cfg, "--log-format", "json"}, &out, &logs) }()
	waitLog(t, &logs, `"msg":"station started"`)

	b := peertest.StartBaresip(t, peertest.BaresipConfig{User: "concierge", Password: "s3cret-Pw"})
	if err := b.Dial(fmt.Sprintf("sip:door@127.0.0.1:%d", port)); err != nil {
		t.Fatal(err)
	}
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	if err := b.Hangup(); err != nil {
		t.Fatal(err)
	}
	waitLog(t, &logs, `"event":"call_ended"`)
	if trace := b.Output(); !strings.Contains(trace, `algorithm=MD5`) || strings.Contains(trace, "SHA-256") {
		t.Errorf("the station's challenge should offer MD5 alone; baresip's trace:\n%s", trace)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-status:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10 s of SIGINT")
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs.String())
	}
}
