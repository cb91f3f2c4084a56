package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua"
	"intercom/sipua/transaction"
)

// The tests of this file break the network or the servers under a running
// station and measure how long it takes to recover by itself. They start
// a kamailio registrar of their own, which, unlike peertest's, can be
// stopped and started again on the same address.

// registrarProc is a kamailio registrar and proxy (digest auth, location
// in memory: a restart forgets every binding) on one address, which may be
// stopped and started again there.
type registrarProc struct {
	t      *testing.T
	path   string
	dir    string
	addr   netip4Port
	domain string
	netns  string // run inside this network namespace, if set
	users  map[string]string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *peertest.Buffer
}

// netip4Port is "ip:port" of an IPv4 address.
type netip4Port struct {
	ip   string
	port int
}

func (a netip4Port) String() string { return net.JoinHostPort(a.ip, strconv.Itoa(a.port)) }

// startRegistrar starts kamailio listening on UDP ip:port (port 0: a free
// one of 127.0.0.1) for domain, whose realm is the domain's host. It waits
// until kamailio answers unless it runs in a network namespace.
func startRegistrar(t *testing.T, ip string, port int, domain, netns string, users map[string]string) *registrarProc {
	t.Helper()
	k := &registrarProc{t: t, path: peertest.NeedTool(t, "kamailio"), dir: t.TempDir(), domain: domain, netns: netns, users: users}
	if port == 0 {
		port = peertest.FreePorts(t, 1, "udp", "tcp")
	}
	k.addr = netip4Port{ip, port}
	if err := os.MkdirAll(filepath.Join(k.dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	var sub bytes.Buffer
	sub.WriteString("id(int,auto) username(string) domain(string) password(string,null) ha1(string,null) ha1b(string,null)\n")
	realm, _, _ := strings.Cut(domain, ":")
	i := 0
	for u, p := range users {
		i++
		fmt.Fprintf(&sub, "%d:%s:%s::%s:%s\n", i, u, realm, md5hex(u+":"+realm+":"+p), md5hex(u+"@"+realm+":"+realm+":"+p))
	}
	if err := os.WriteFile(filepath.Join(k.dir, "db", "subscriber"), sub.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.dir, "kamailio.cfg"), []byte(k.config(realm)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("kamailio log:\n%s", k.output())
		}
	})
	k.Start()
	return k
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func (k *registrarProc) config(realm string) string {
	return fmt.Sprintf(`#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:%[1]s
alias="%[2]s"
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
use_dns_failover=no
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 5)
modparam("auth_db", "db_url", "text://%[3]s")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "version_table", 0)
modparam("auth_db", "load_credentials", "")
modparam("tm", "fr_timer", 5000)
request_route {
	xlog("L_INFO", "$rm $ru from $si:$sp\n");
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	force_rport();
	if (is_method("OPTIONS") && $rU==$null) { sl_send_reply("200", "OK"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not Here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		if (!auth_check("%[4]s", "subscriber", "1")) { auth_challenge("%[4]s", "0"); exit; }
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (is_method("INVITE")) { record_route(); }
	if (!lookup("location")) { t_reply("404", "Not Found"); exit; }
	t_relay();
}
`, k.addr, k.domain, filepath.Join(k.dir, "db"), realm)
}

// Start starts kamailio (again) on its address.
func (k *registrarProc) Start() {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	args := []string{"-f", filepath.Join(k.dir, "kamailio.cfg"), "-DD", "-E", "-m", "32", "-M", "8",
		"-Y", k.dir, "-P", filepath.Join(k.dir, "kamailio.pid"), "-w", k.dir}
	name := k.path
	if k.netns != "" {
		name, args = "ip", append([]string{"netns", "exec", k.netns, k.path}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if k.out == nil {
		k.out = &peertest.Buffer{}
	}
	cmd.Stdout, cmd.Stderr = k.out, k.out
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	k.cmd, k.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(k.done)
	if k.netns == "" {
		if err := waitSIP(k.addr.String(), 15*time.Second); err != nil {
			k.t.Fatalf("kamailio on %s: %v\n%s", k.addr, err, k.out.String())
		}
	}
}

// Stop stops kamailio and its workers (SIGTERM, SIGKILL after 3 s).
func (k *registrarProc) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil {
		return
	}
	pgid := k.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-k.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // any worker left behind
	k.cmd = nil
}

func (k *registrarProc) output() string {
	if k.out == nil {
		return ""
	}
	return k.out.String()
}

// waitSIP sends OPTIONS to addr every 20 ms until something answers.
func waitSIP(addr string, within time.Duration) error {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer c.Close()
	dst, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return err
	}
	local := c.LocalAddr().(*net.UDPAddr).Port
	buf := make([]byte, 4096)
	deadline := time.Now().Add(within)
	for i := 0; time.Now().Before(deadline); i++ {
		probe := fmt.Sprintf("OPTIONS sip:%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%[2]d;branch=z9hG4bK-w%[3]d;rport\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=w%[3]d\r\nTo: <sip:%[1]s>\r\nCall-ID: w%[3]d-%[2]d\r\n"+
			"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", addr, local, i)
		if _, err := c.WriteTo([]byte(probe), dst); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if n, _, err := c.ReadFrom(buf); err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 ")) {
			return nil
		}
	}
	return fmt.Errorf("no answer to OPTIONS within %v", within)
}

// runningStation is "intercom run" of a config, in this process.
type runningStation struct {
	ua     *sipua.UA
	st     *station
	logs   *peertest.Buffer
	stop   context.CancelFunc
	status chan int
}

// startStation runs the station of config text until the test ends.
func startStation(t *testing.T, text string) *runningStation {
	t.Helper()
	cfg, err := parseConfig("intercom.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s := &runningStation{logs: &peertest.Buffer{}, status: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	ready := make(chan struct{})
	log := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() {
		s.status <- serve(ctx, cfg, log, s.logs, func(ua *sipua.UA, st *station) { s.ua, s.st = ua, st; close(ready) })
	}()
	select {
	case <-ready:
	case code := <-s.status:
		t.Fatalf("the station stopped at once (%d):\n%s", code, s.logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("the station did not start within 10 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.status:
		case <-time.After(15 * time.Second):
			t.Error("the station did not stop within 15 s")
		}
		if t.Failed() {
			t.Logf("station log:\n%s", s.logs.String())
		}
	})
	return s
}

// waitState polls the registration every 5 ms until it is in state, for
// at most within, and returns when it got there.
func waitState(t *testing.T, ua *sipua.UA, state sipua.RegState, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ua.Registration().State == state {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("registration not %v within %v (now %+v)", state, within, ua.Registration())
	return time.Time{}
}

// recoveryBound is what the system tests accept between the registrar
// being back and the station registered again: the station's own bound
// is T2 (4 s, the retransmission interval of its probe or REGISTER in
// flight) plus two round trips; the rest is margin for a loaded machine.
const recoveryBound = 10 * time.Second

// TestRecoverRegistrarRestart: kamailio, with the station registered, is
// stopped and started again on the same port, having forgotten every
// binding. The station's probe (on its 2 s keep-alive tick) finds it
// gone, and the station registers again by itself as soon as it is back.
func TestRecoverRegistrarRestart(t *testing.T) {
	skipShort(t)
	k := startRegistrar(t, "127.0.0.1", 0, "127.0.0.1", "", map[string]string{"door": "pw"})
	s := startStation(t, fmt.Sprintf(`
[sip]
listen = "127.0.0.1:0"
user = "door"
domain = "%s"
password = "pw"
keepalive = "2s"
`, k.addr))
	waitState(t, s.ua, sipua.Registered, 10*time.Second)

	for round := range 2 {
		down := time.Now()
		k.Stop()
		failed := waitState(t, s.ua, sipua.RegFailed, 10*time.Second)
		t.Logf("round %d: outage noticed %v after the registrar stopped", round, failed.Sub(down).Round(time.Millisecond))
		time.Sleep(3 * time.Second)
		k.Start() // returns once it answers
		back := time.Now()
		registered := waitState(t, s.ua, sipua.Registered, 30*time.Second)
		took := registered.Sub(back)
		t.Logf("round %d: registered again %v after the registrar answered", round, took.Round(time.Millisecond))
		if took > recoveryBound {
			t.Errorf("round %d: registered again %v after the registrar was back, want within %v", round, took, recoveryBound)
		}
	}
}

// TestViaPBX: which call targets go through the registrar, and so fail at
// once while it is unreachable.
func TestViaPBX(t *testing.T) {
	for _, tc := range []struct {
		domain, proxy, target string
		want                  bool
	}{
		{"pbx.example.org", "", "flat1", true},
		{"pbx.example.org", "", "sip:flat1@pbx.example.org", true},
		{"pbx.example.org", "", "flat1@PBX.example.org", true},
		{"pbx.example.org", "", "sip:flat1@pbx.example.org:5070", false},
		{"pbx.example.org", "", "sip:flat@192.168.1.20", false},
		{"127.0.0.1:5070", "", "sip:flat1@127.0.0.1:5070", true},
		{"127.0.0.1:5070", "", "sip:flat@127.0.0.1:5080", false},
		{"pbx.example.org", "sip:proxy.example.org", "sip:flat@192.168.1.20", true},
		{"", "", "sip:flat1@pbx.example.org", false},
	} {
		got := viaPBX(&SIP{Domain: tc.domain, OutboundProxy: tc.proxy})(tc.target)
		if got != tc.want {
			t.Errorf("domain %q, proxy %q: viaPBX(%q) = %v, want %v", tc.domain, tc.proxy, tc.target, got, tc.want)
		}
	}
}

// callTo returns the station's call whose remote contains s, if any.
func callTo(ua *sipua.UA, s string) *sipua.Call {
	for _, c := range ua.Calls() {
		if strings.Contains(c.Remote(), s) {
			return c
		}
	}
	return nil
}

// TestOutagePressRingsFallback: the PBX is down and the station knows it
// (its probe went unanswered). A press of the doorbell rings the flat
// through the PBX, which fails at once, and then the button's fallback,
// a phone rung directly by its IP address (sipp), which answers.
func TestOutagePressRingsFallback(t *testing.T) {
	skipShort(t)
	k := startRegistrar(t, "127.0.0.1", 0, "127.0.0.1", "", map[string]string{"door": "pw"})
	flat := peertest.StartSipp(t, "uas")
	s := startStation(t, fmt.Sprintf(`
[sip]
listen = "127.0.0.1:0"
user = "door"
domain = "%[1]s"
password = "pw"
keepalive = "1s"
[board]
kind = "sim"
[[button]]
name = "flat1"
pin = "GPIO17"
targets = ["sip:flat1@%[1]s"]
fallback = ["sip:flat@127.0.0.1:%[2]d"]
ring_timeout = "20s"
`, k.addr, flat.Port))
	waitState(t, s.ua, sipua.Registered, 10*time.Second)
	k.Stop()
	down := time.Now()
	noticed := waitState(t, s.ua, sipua.RegFailed, 10*time.Second)
	t.Logf("PBX outage noticed %v after it stopped", noticed.Sub(down).Round(time.Millisecond))

	pressed := time.Now()
	s.st.Press(context.Background(), "flat1")
	var rang, answered time.Time
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		c := callTo(s.ua, fmt.Sprintf("127.0.0.1:%d", flat.Port))
		if c == nil {
			continue
		}
		if rang.IsZero() {
			rang = time.Now()
		}
		if c.State() == sipua.CallAnswered {
			answered = time.Now()
			c.Hangup()
			break
		}
	}
	if rang.IsZero() || answered.IsZero() {
		t.Fatalf("the fallback never rang (rang %v, answered %v)", !rang.IsZero(), !answered.IsZero())
	}
	toInvite, toAnswer := rang.Sub(pressed), answered.Sub(pressed)
	t.Logf("press to fallback INVITE %v, to its answer %v", toInvite.Round(time.Millisecond), toAnswer.Round(time.Millisecond))
	if toInvite > 2*time.Second {
		t.Errorf("the fallback rang %v after the press, want within 2 s", toInvite)
	}
	if !strings.Contains(s.logs.String(), errPBXDown.Error()) {
		t.Error("the call through the PBX did not fail for the PBX being down")
	}
	if err := flat.Wait(t); err != nil {
		t.Errorf("sipp: %v", err)
	}
}

// TestRecoverLongOutage: the registrar is unreachable for a long stretch,
// long enough for the back-off to reach its cap; the station still
// registers within seconds of its return, because a probe answered ends
// the back-off. The CI run scales the SIP timers down ten times (T1 50 ms:
// a REGISTER times out after 3.2 s) so that a 30 s outage goes through
// eight failures and back-offs up to 16 s, as a five-minute one would
// with the standard timers; INTERCOM_LONG_FAULTS=1 adds a run of "intercom
// run" with the standard timers through a 3-minute outage.
func TestRecoverLongOutage(t *testing.T) {
	skipShort(t)
	type run struct {
		name   string
		outage time.Duration
		scaled bool
	}
	runs := []run{{"scaled", 30 * time.Second, true}}
	if os.Getenv("INTERCOM_LONG_FAULTS") == "1" {
		runs = append(runs, run{"standard", 3 * time.Minute, false})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			k := startRegistrar(t, "127.0.0.1", 0, "127.0.0.1", "", map[string]string{"door": "pw"})
			var ua *sipua.UA
			if r.scaled {
				var err error
				ua, err = sipua.New(sipua.Config{Listen: "127.0.0.1:0", KeepAlive: time.Second,
					Account: sipua.Account{User: "door", Domain: k.addr.String(), Password: "pw"},
					Timers:  transaction.Timers{T1: 50 * time.Millisecond, T2: 400 * time.Millisecond, T4: 500 * time.Millisecond},
					Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { _ = ua.Run(ctx); close(done) }()
				t.Cleanup(func() { cancel(); <-done })
			} else {
				ua = startStation(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"door\"\ndomain = %q\npassword = \"pw\"\n", k.addr)).ua
			}
			waitState(t, ua, sipua.Registered, 10*time.Second)
			time.Sleep(2 * time.Second) // a probe or two answered
			k.Stop()
			waitState(t, ua, sipua.RegFailed, 30*time.Second)
			time.Sleep(r.outage)
			k.Start()
			back := time.Now()
			registered := waitState(t, ua, sipua.Registered, 60*time.Second)
			took := registered.Sub(back)
			t.Logf("%s: after a %v outage, registered again %v after the registrar answered", r.name, r.outage, took.Round(time.Millisecond))
			if took > recoveryBound {
				t.Errorf("registered again %v after the registrar was back, want within %v", took, recoveryBound)
			}
		})
	}
}

// TestRecoverDNSOutage: the registrar is found by DNS (SRV and A records
// served by dnsmasq). DNS stops answering (dnsmasq frozen): the station
// stays registered, its refreshes going to the addresses DNS gave last;
// the registrar even restarts meanwhile, and the station registers again
// there without DNS. When DNS answers again, the station asks it again.
func TestRecoverDNSOutage(t *testing.T) {
	skipShort(t)
	dnsmasq := peertest.NeedTool(t, "dnsmasq")
	k := startRegistrar(t, "127.0.0.1", 0, "pbx.test", "", map[string]string{"door": "pw"})
	dns := startDNS(t, dnsmasq, fmt.Sprintf("srv-host=_sip._udp.pbx.test,reg.pbx.test,%d,10,10\nhost-record=reg.pbx.test,127.0.0.1\n", k.addr.port))
	s := startStation(t, fmt.Sprintf(`
[sip]
listen = "127.0.0.1:0"
user = "door"
domain = "pbx.test"
password = "pw"
dns_server = "%s"
register_expires = "34s"
keepalive = "1s"
`, dns.addr))
	waitState(t, s.ua, sipua.Registered, 10*time.Second)
	time.Sleep(2 * time.Second) // probes answered

	dns.freeze(t, true)
	stopped := time.Now()
	registers := strings.Count(k.output(), "REGISTER sip:pbx.test")
	failed := false
	for time.Since(stopped) < 10*time.Second { // two refreshes (every 4 s)
		failed = failed || s.ua.Registration().State != sipua.Registered
		time.Sleep(10 * time.Millisecond)
	}
	refreshed := strings.Count(k.output(), "REGISTER sip:pbx.test") - registers
	t.Logf("DNS down 10 s: %d REGISTERs reached the registrar, registration lost: %v", refreshed, failed)
	if failed || refreshed < 2 {
		t.Errorf("with DNS down: registration lost %v, %d REGISTERs; want it kept, refreshed at least twice", failed, refreshed)
	}

	k.Stop()
	waitState(t, s.ua, sipua.RegFailed, 30*time.Second)
	time.Sleep(2 * time.Second)
	k.Start()
	back := time.Now()
	registered := waitState(t, s.ua, sipua.Registered, 30*time.Second)
	took := registered.Sub(back)
	t.Logf("registrar restarted with DNS down: registered again %v after it answered", took.Round(time.Millisecond))
	if took > recoveryBound {
		t.Errorf("registered again %v after the registrar was back, want within %v", took, recoveryBound)
	}

	asked := strings.Count(dns.log.String(), "query[SRV] _sip._udp.pbx.test")
	dns.freeze(t, false)
	time.Sleep(6 * time.Second) // a refresh or two
	if n := strings.Count(dns.log.String(), "query[SRV] _sip._udp.pbx.test"); n <= asked {
		t.Errorf("DNS not asked again once back (%d SRV queries before, %d after)", asked, n)
	}
	if st := s.ua.Registration(); st.State != sipua.Registered {
		t.Errorf("with DNS back: %+v", st)
	}
}

// dnsServer is a dnsmasq serving a few records on 127.0.0.1.
type dnsServer struct {
	addr string
	cmd  *exec.Cmd
	log  *peertest.Buffer
}

// startDNS starts dnsmasq answering from the config lines records only.
func startDNS(t *testing.T, path, records string) *dnsServer {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "zone.conf")
	if err := os.WriteFile(conf, []byte(records), 0o600); err != nil {
		t.Fatal(err)
	}
	port := peertest.FreePorts(t, 1, "udp", "tcp")
	d := &dnsServer{addr: fmt.Sprintf("127.0.0.1:%d", port), log: &peertest.Buffer{}}
	d.cmd = exec.Command(path, "--conf-file="+conf, "--no-daemon", "--no-resolv", "--no-hosts", "--local=/test/",
		"--listen-address=127.0.0.1", "--bind-interfaces", "--port="+strconv.Itoa(port), "--pid-file=", "--log-queries")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGCONT)
		_ = d.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", d.log.String())
		}
	})
	for range 100 {
		if strings.Contains(d.log.String(), "started") {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dnsmasq did not start:\n%s", d.log.String())
	return nil
}

// freeze stops dnsmasq from answering (SIGSTOP: queries go unanswered,
// as with a server down) or lets it go on.
func (d *dnsServer) freeze(t *testing.T, on bool) {
	sig := syscall.SIGCONT
	if on {
		sig = syscall.SIGSTOP
	}
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// skipShort skips a fault test in -short runs: they time a station's
// recovery against real servers, which an emulated run (make test-arm64)
// slows past its bounds, and they test nothing of the architecture.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a fault test timed against real servers; the native run has it")
	}
}
