package peertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// KamailioConfig describes a kamailio registrar and proxy to start.
type KamailioConfig struct {
	// Domain is the SIP domain (and digest realm) kamailio is responsible
	// for; "sip.test" when empty. It is a name nobody resolves: user
	// agents reach kamailio through its address (Kamailio.URI) as outbound
	// proxy.
	Domain string
	// Users maps each user name to its password. Only these users can
	// register, and only they may call from an address of the domain.
	Users map[string]string
	// Debug is kamailio's log level: 2 (info, the default when zero) shows
	// each request it routes; 3 is debug.
	Debug int
}

// Kamailio is a running kamailio: a registrar (usrloc, in memory) and a
// record-routing stateful proxy for one domain, with digest authentication
// of REGISTER and of requests from the domain's users. An INVITE to
// sip:user@domain goes to user's registered contact; in-dialog requests
// follow the Route set.
type Kamailio struct {
	cfg       KamailioConfig
	port      int
	dir       string
	proc      *process
	closeOnce sync.Once
}

// kamailioStartTimeout bounds the wait for kamailio's first answer.
const kamailioStartTimeout = 15 * time.Second

// kamailioModules are the modules the generated configuration loads.
var kamailioModules = []string{
	"tm", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "sanity", "xlog",
	"usrloc", "registrar", "db_text", "auth", "auth_db",
}

// StartKamailio starts kamailio with a configuration generated from cfg in a
// temporary directory, listening on UDP and TCP 127.0.0.1:Port(), in the
// foreground, with DNS lookups off and small memory pools, and waits until it
// answers an OPTIONS request. The test fails, with kamailio's log, if it does
// not. t.Cleanup stops it (SIGTERM, then SIGKILL to its process group); its
// log is shown if the test failed.
func StartKamailio(t testing.TB, cfg KamailioConfig) *Kamailio {
	t.Helper()
	path := NeedTool(t, "kamailio")
	if cfg.Domain == "" {
		cfg.Domain = "sip.test"
	}
	if cfg.Debug == 0 {
		cfg.Debug = 2
	}
	if !sipToken.MatchString(cfg.Domain) {
		t.Fatalf("peertest: KamailioConfig.Domain %q: want a host name of letters, digits, '.' and '-'", cfg.Domain)
	}
	for user := range cfg.Users {
		if !sipToken.MatchString(user) {
			t.Fatalf("peertest: KamailioConfig.Users: user %q: want letters, digits, '.', '-', '_'", user)
		}
	}
	mpath, err := kamailioModulePath(path)
	if err != nil {
		t.Fatalf("peertest: %v", err)
	}

	k := &Kamailio{cfg: cfg, dir: t.TempDir()}
	dbDir := filepath.Join(k.dir, "db")
	runDir := filepath.Join(k.dir, "run")
	for _, d := range []string{dbDir, runDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dbDir, "subscriber"), subscriberTable(cfg.Domain, cfg.Users), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	for attempt := 1; ; attempt++ {
		err := k.start(t, path, mpath, dbDir, runDir)
		if err == nil {
			return k
		}
		if attempt < startAttempts && k.proc.portTaken() {
			t.Logf("peertest: kamailio: %v: its port was taken before it bound it; again with another", err)
			continue
		}
		t.Fatalf("peertest: kamailio: %v\n%s", err, k.Output())
	}
}

// start writes the configuration for a new port, starts kamailio and waits
// until it answers.
func (k *Kamailio) start(t testing.TB, path, mpath, dbDir, runDir string) error {
	k.proc = nil
	k.port = FreePorts(t, 1, "udp", "tcp")
	cfgFile := filepath.Join(k.dir, "kamailio.cfg")
	if err := os.WriteFile(cfgFile, []byte(k.config(mpath, dbDir)), 0o600); err != nil {
		return err
	}
	// -DD: no daemon (workers are still forked); -E: log to stderr.
	cmd := exec.Command(path, "-f", cfgFile, "-DD", "-E", "-m", "32", "-M", "8",
		"-Y", runDir, "-P", filepath.Join(runDir, "kamailio.pid"), "-w", k.dir)
	cmd.Dir = k.dir
	proc, err := startProcess(t, "kamailio", cmd, syscall.SIGTERM)
	if err != nil {
		return err
	}
	k.proc = proc
	return k.waitReady()
}

// sipToken is what user names and the domain may be made of here: enough
// for tests, and nothing that needs escaping in db_text or the config.
var sipToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// subscriberTable is auth_db's subscriber table in db_text's format. It
// holds no password, only ha1 = MD5(user:realm:password) and ha1b =
// MD5(user@domain:realm:password). Columns that may be empty must be
// declared (string,null), or db_text refuses the row ("null value not
// allowed").
func subscriberTable(domain string, users map[string]string) []byte {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("id(int,auto) username(string) domain(string) password(string,null) ha1(string,null) ha1b(string,null)\n")
	for i, u := range names {
		p := users[u]
		fmt.Fprintf(&b, "%d:%s:%s::%s:%s\n", i+1, u, domain,
			md5hex(u+":"+domain+":"+p), md5hex(u+"@"+domain+":"+domain+":"+p))
	}
	return b.Bytes()
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// kamailioModulePath finds the directory of kamailio's modules: the default
// kamailio -I reports (/usr/lib/x86_64-linux-gnu/kamailio/modules on Debian
// amd64), else the usual places, checking that every module needed is there.
var (
	modulePathMu    sync.Mutex
	modulePathCache = map[string]string{}
)

func kamailioModulePath(kamailio string) (string, error) {
	modulePathMu.Lock()
	defer modulePathMu.Unlock()
	if dir, ok := modulePathCache[kamailio]; ok {
		return dir, nil
	}
	var candidates []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, kamailio, "-I").CombinedOutput()
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, paths, ok := strings.Cut(sc.Text(), "Default paths to modules:"); ok {
			for _, p := range strings.Split(strings.TrimSpace(paths), ":") {
				if p = strings.TrimSpace(p); p != "" {
					candidates = append(candidates, p)
				}
			}
		}
	}
	for _, pattern := range []string{"/usr/lib/*/kamailio/modules", "/usr/lib64/kamailio/modules",
		"/usr/lib/kamailio/modules", "/usr/local/lib/*/kamailio/modules", "/usr/local/lib64/kamailio/modules",
		"/usr/local/lib/kamailio/modules"} {
		m, _ := filepath.Glob(pattern)
		candidates = append(candidates, m...)
	}
	var missing []string
	for _, dir := range candidates {
		missing = missing[:0]
		for _, m := range kamailioModules {
			if _, err := os.Stat(filepath.Join(dir, m+".so")); err != nil {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 {
			modulePathCache[kamailio] = dir
			return dir, nil
		}
	}
	return "", fmt.Errorf("kamailio modules %v not found in any of %q (kamailio -I said %q)",
		kamailioModules, candidates, bytes.TrimSpace(out))
}

// config is the kamailio.cfg.
func (k *Kamailio) config(mpath, dbDir string) string {
	var c strings.Builder
	fmt.Fprintf(&c, `#!KAMAILIO
# Generated by intercom/internal/peertest: a registrar and record-routing
# proxy for %[1]s on 127.0.0.1:%[2]d, for tests.

debug=%[5]d
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=2
tcp_children=2
listen=udp:127.0.0.1:%[2]d
listen=tcp:127.0.0.1:%[2]d
alias="%[1]s"
auto_aliases=no
# Ask no DNS server anything: every address in a test is an IP address.
dns=no
rev_dns=no
use_dns_cache=no
use_dns_failover=no
dns_try_ipv6=no
dns_try_naptr=no
dns_srv_lb=no
server_header="Server: peertest-kamailio"
user_agent_header="User-Agent: peertest-kamailio"

mpath="%[3]s"
`, k.cfg.Domain, k.port, mpath, dbDir, k.cfg.Debug)
	for _, m := range kamailioModules {
		fmt.Fprintf(&c, "loadmodule \"%s.so\"\n", m)
	}
	fmt.Fprintf(&c, `
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("auth_db", "db_url", "text://%[1]s")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "version_table", 0)
modparam("auth_db", "load_credentials", "")
modparam("rr", "append_fromtag", 1)
modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", 30000)
`, dbDir)
	c.WriteString(kamailioRoutes)
	return c.String()
}

// kamailioRoutes is the routing logic: kamailio's default configuration cut
// down to registrar, auth, record-routing and location lookup.
const kamailioRoutes = `
request_route {
	xlog("L_INFO", "$rm $ru from $si:$sp\n");
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		xlog("L_WARN", "malformed $rm from $si:$sp dropped\n");
		exit;
	}
	force_rport();

	# Keepalives and the harness's readiness probe.
	if (is_method("OPTIONS") && uri==myself && $rU==$null) {
		sl_send_reply("200", "OK");
		exit;
	}

	# In-dialog requests follow the Route set.
	if (has_totag()) {
		if (loose_route()) {
			route(RELAY);
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				route(RELAY);
			}
			exit;
		}
		sl_send_reply("404", "Not Here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}
	# Absorb retransmissions of a request in progress.
	t_check_trans();
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE")) {
		record_route();
	}

	if (is_method("REGISTER")) {
		if (!auth_check("$fd", "subscriber", "1")) {
			auth_challenge("$fd", "0");
			exit;
		}
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}

	# Only the domain's users, authenticated, may send from it.
	if (from_uri==myself) {
		if (!auth_check("$fd", "subscriber", "1")) {
			auth_challenge("$fd", "0");
			exit;
		}
		consume_credentials();
	}
	if (uri!=myself) {
		route(RELAY);
	}
	if ($rU==$null) {
		t_reply("484", "Address Incomplete");
		exit;
	}
	if (!lookup("location")) {
		t_reply("404", "Not Found");
		exit;
	}
	route(RELAY);
}

route[RELAY] {
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}
`

// waitReady sends OPTIONS to kamailio until it answers, or it exits, or
// kamailioStartTimeout passes. kamailio answers to the top Via's address, so
// the probe's socket is the one named there.
func (k *Kamailio) waitReady() error {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer c.Close()
	local := c.LocalAddr().(*net.UDPAddr)
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: k.port}
	buf := make([]byte, 4096)
	deadline := time.Now().Add(kamailioStartTimeout)
	for i := 0; time.Now().Before(deadline); i++ {
		if ok, _ := k.proc.exited(); ok {
			return k.proc.errExited()
		}
		probe := fmt.Sprintf("OPTIONS sip:127.0.0.1:%[1]d SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP 127.0.0.1:%[2]d;branch=z9hG4bK-peertest-%[3]d;rport\r\n"+
			"Max-Forwards: 70\r\n"+
			"From: <sip:peertest@127.0.0.1:%[2]d>;tag=peertest%[3]d\r\n"+
			"To: <sip:127.0.0.1:%[1]d>\r\n"+
			"Call-ID: peertest-ready-%[3]d@127.0.0.1\r\n"+
			"CSeq: 1 OPTIONS\r\n"+
			"Content-Length: 0\r\n\r\n", k.port, local.Port, i)
		if _, err := c.WriteTo([]byte(probe), dst); err != nil {
			return err
		}
		if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			return err
		}
		n, _, err := c.ReadFrom(buf)
		if err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 ")) {
			return nil
		}
	}
	return fmt.Errorf("no answer to OPTIONS on udp %s within %v", dst, kamailioStartTimeout)
}

// Addr is kamailio's SIP address, "127.0.0.1:PORT" (UDP and TCP).
func (k *Kamailio) Addr() string { return fmt.Sprintf("127.0.0.1:%d", k.port) }

// Port is kamailio's SIP port (UDP and TCP).
func (k *Kamailio) Port() int { return k.port }

// URI is kamailio's own SIP URI, "sip:127.0.0.1:PORT": the registrar and
// outbound proxy for BaresipConfig.Registrar (baresip adds ";lr" to it
// itself). As a Route header value it needs ";lr".
func (k *Kamailio) URI() string { return fmt.Sprintf("sip:127.0.0.1:%d", k.port) }

// Domain is the SIP domain and digest realm kamailio serves.
func (k *Kamailio) Domain() string { return k.cfg.Domain }

// UserURI is the address of record of user in kamailio's domain,
// sip:user@domain.
func (k *Kamailio) UserURI(user string) string { return "sip:" + user + "@" + k.cfg.Domain }

// Output returns kamailio's log so far (its last 1 MiB).
func (k *Kamailio) Output() string {
	if k.proc == nil {
		return ""
	}
	return k.proc.out.String()
}

// Close stops kamailio and its workers: SIGTERM, then SIGKILL after 3 s;
// it waits 6 s at most. t.Cleanup calls it; calling it again does nothing.
func (k *Kamailio) Close() {
	k.closeOnce.Do(func() {
		if k.proc != nil {
			_ = k.proc.stop() // the process's own cleanup reports a failure
		}
	})
}
