package peertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BaresipConfig describes a baresip user agent to start. The zero value is a
// user agent "peer" that takes calls addressed to it directly (Baresip.URI),
// does not register, answers nothing by itself and sends no audio.
type BaresipConfig struct {
	// User is the user part of the account; "peer" when empty. Requests
	// whose user part differs are refused with 404 by baresip.
	User string
	// Password answers digest challenges (auth_pass); the auth user is User.
	Password string
	// Domain is the host part of the account's address of record. When
	// empty it is the host of Registrar, or 127.0.0.1 without one.
	Domain string
	// Registrar, when set, is the SIP URI of a registrar and outbound proxy
	// (such as Kamailio.URI()): baresip registers there and sends every
	// request through it.
	Registrar string
	// AutoAnswer makes baresip answer incoming calls at once
	// (answermode=auto); otherwise Answer does.
	AutoAnswer bool
	// AudioFile, when set, is a WAV file baresip sends as its audio (aufile):
	// 16-bit mono at 8000 Hz for G.711. baresip hangs up when the file
	// ends, and reads it whole before a call starts, so keep it short but
	// longer than the call.
	AudioFile string
	// ToneHz, when set and AudioFile is not, makes baresip send a sine of
	// this frequency (10-20000 Hz; ausine) for as long as a call lasts.
	// With neither, a call sends no audio, and so no DTMF either: baresip
	// sends RFC 4733 events from its audio clock.
	ToneHz int
	// Loopback, when AudioFile and ToneHz are not set, makes baresip send
	// back what it receives: aubridge joins its player and its source, so
	// a call carries audio (silence at first) both ways without a file.
	Loopback bool
	// RecordDir, when set, is where the sndfile module writes each call's
	// audio: dump-<time>-enc.wav (sent) and dump-<time>-dec.wav (received).
	RecordDir string
	// MediaEnc, when set, is the account's media encryption: "srtp"
	// (SDES on RTP/AVP, best effort) or "srtp-mand" (RTP/SAVP only).
	MediaEnc string
	// Codecs are the audio codecs offered and accepted, in order, by their
	// SDP names ("PCMU", "PCMA", "G722"); PCMU and PCMA when empty.
	Codecs []string
	// Verbose passes -v to baresip for debug output. The SIP trace (-s) is
	// always on; both are shown only when the test fails.
	Verbose bool
}

// Baresip is a running baresip user agent, driven through its ctrl_tcp
// module. Its methods may be called from any goroutine; WaitEvent, which
// fails the test, only from the test's own.
type Baresip struct {
	cfg       BaresipConfig
	domain    string
	port      int
	dir       string
	proc      *process
	ctrl      *ctrlClient
	closeOnce sync.Once
}

// Baresip timeouts: to start and accept its control connection, and for a
// command's response.
const (
	baresipStartTimeout = 10 * time.Second
	commandTimeout      = 5 * time.Second
)

// StartBaresip starts baresip with a configuration generated from cfg in a
// temporary directory, listening for SIP on 127.0.0.1 (UDP and TCP on
// Port(), TLS on Port()+1), connects to its ctrl_tcp module, and creates the
// account. With a Registrar the account starts registering; wait for
// REGISTER_OK (or REGISTER_FAIL) with WaitEvent. The test fails if baresip
// does not come up. t.Cleanup kills it; its output (with a SIP trace) and its
// events are logged if the test failed.
func StartBaresip(t testing.TB, cfg BaresipConfig) *Baresip {
	t.Helper()
	path := NeedTool(t, "baresip")
	if cfg.User == "" {
		cfg.User = "peer"
	}
	for name, v := range map[string]string{"User": cfg.User, "Password": cfg.Password, "Domain": cfg.Domain} {
		if strings.ContainsAny(v, " \t\r\n;,<>\"#") {
			t.Fatalf("peertest: BaresipConfig.%s %q: baresip's account syntax cannot carry spaces or any of ;,<>\"#", name, v)
		}
	}
	if strings.ContainsAny(cfg.Registrar, " \t\r\n,<>\"#") { // quoted: ';' may be
		t.Fatalf("peertest: BaresipConfig.Registrar %q: baresip's account syntax cannot carry spaces or any of ,<>\"#", cfg.Registrar)
	}
	for name, v := range map[string]string{"AudioFile": cfg.AudioFile, "RecordDir": cfg.RecordDir} {
		if strings.ContainsAny(v, " \t\r\n,#") {
			t.Fatalf("peertest: BaresipConfig.%s %q: baresip's config syntax cannot carry spaces, ',' or '#'", name, v)
		}
	}
	if cfg.ToneHz < 0 || cfg.ToneHz > 20000 || cfg.ToneHz > 0 && cfg.ToneHz < 10 {
		t.Fatalf("peertest: BaresipConfig.ToneHz %d: ausine makes 10-20000 Hz", cfg.ToneHz)
	}
	b := &Baresip{cfg: cfg, domain: cfg.Domain, dir: t.TempDir()}
	if b.domain == "" {
		b.domain = "127.0.0.1"
		if cfg.Registrar != "" {
			b.domain = uriHostPort(cfg.Registrar)
		}
	}
	if cfg.AudioFile != "" {
		abs, err := filepath.Abs(cfg.AudioFile)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			t.Fatalf("peertest: BaresipConfig.AudioFile: %v", err)
		}
		b.cfg.AudioFile = abs
	}
	if cfg.RecordDir != "" {
		abs, err := filepath.Abs(cfg.RecordDir) // baresip runs in its own directory
		if err != nil {
			t.Fatalf("peertest: BaresipConfig.RecordDir: %v", err)
		}
		b.cfg.RecordDir = abs
	}
	t.Cleanup(func() {
		b.Close()
		if t.Failed() {
			t.Logf("peertest: events of baresip %s:\n%s", cfg.User, b.eventLog())
		}
	})
	for attempt := 1; ; attempt++ {
		err := b.start(t, path)
		if err == nil {
			return b
		}
		if attempt < startAttempts && b.proc.portTaken() {
			t.Logf("peertest: baresip %s: %v: a port was taken before it bound it; again with others", cfg.User, err)
			continue
		}
		t.Fatalf("peertest: baresip %s: %v\n%s", cfg.User, err, b.Output())
	}
}

// startAttempts bounds the starts of a peer whose ports another process took
// between FreePorts and the peer's bind.
const startAttempts = 3

// start writes the configuration for new ports, starts baresip, connects to
// ctrl_tcp and creates the account.
func (b *Baresip) start(t testing.TB, path string) error {
	if b.ctrl != nil { // from a failed attempt
		b.ctrl.close()
		b.ctrl = nil
	}
	b.proc = nil
	b.port = FreePorts(t, 2, "udp", "tcp")
	ctrlPort := FreePort(t, "tcp")
	dnsPort := FreePort(t, "udp") // nothing listens there: no DNS answers
	if err := os.WriteFile(filepath.Join(b.dir, "config"), []byte(b.config(ctrlPort, dnsPort)), 0o600); err != nil {
		return err
	}
	for _, name := range []string{"accounts", "contacts"} {
		if err := os.WriteFile(filepath.Join(b.dir, name), nil, 0o600); err != nil {
			return err
		}
	}

	args := []string{"-f", b.dir, "-s"}
	if b.cfg.Verbose {
		args = append(args, "-v")
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = b.dir
	// baresip answers SIGTERM by unregistering first, waiting for the
	// registrar: a test has no use for that, so Close kills it.
	proc, err := startProcess(t, "baresip "+b.cfg.User, cmd, nil)
	if err != nil {
		return err
	}
	b.proc = proc
	conn, err := b.dialCtrl(ctrlPort)
	if err != nil {
		return err
	}
	b.ctrl = newCtrlClient(conn)
	// The account is created only now, over ctrl_tcp, so that no
	// registration event can come before the harness listens.
	if _, err := b.ctrl.command("uanew", b.account(), commandTimeout); err != nil {
		return fmt.Errorf("create the account: %w", err)
	}
	return nil
}

// config is baresip's config file.
func (b *Baresip) config(ctrlPort, dnsPort int) string {
	var c strings.Builder
	set := func(key, value string) { fmt.Fprintf(&c, "%-20s %s\n", key, value) }
	set("poll_method", "epoll")
	set("sip_listen", fmt.Sprintf("127.0.0.1:%d", b.port))
	set("net_interface", "127.0.0.1") // "lo" does not work
	set("dns_server", fmt.Sprintf("127.0.0.1:%d", dnsPort))
	set("call_local_timeout", "120")
	set("call_max_calls", "4")
	set("audio_path", "/usr/share/baresip")
	// aubridge pairs a player and a source of the same device name: these
	// names pair with nothing, so it plays into the void, and as a source
	// sends nothing.
	player := "aubridge,peertest-play"
	if b.cfg.Loopback {
		player = "aubridge,peertest-loop"
	}
	set("audio_player", player)
	set("audio_alert", "aubridge,peertest-alert")
	switch {
	case b.cfg.AudioFile != "":
		set("audio_source", "aufile,"+b.cfg.AudioFile)
	case b.cfg.ToneHz > 0:
		set("audio_source", fmt.Sprintf("ausine,%d", b.cfg.ToneHz))
		// ausine makes only 48 kHz stereo; baresip resamples it.
		set("ausrc_srate", "48000")
		set("ausrc_channels", "2")
	case b.cfg.Loopback:
		set("audio_source", "aubridge,peertest-loop")
	default:
		set("audio_source", "aubridge,peertest-silence")
	}
	set("audio_level", "no")
	set("rtcp_mux", "no")
	set("jitter_buffer_delay", "1-10")
	set("ctrl_tcp_listen", fmt.Sprintf("127.0.0.1:%d", ctrlPort))
	set("module_path", baresipModulePath())
	set("module", "g711.so")
	if slices.Contains(b.cfg.Codecs, "G722") {
		set("module", "g722.so")
	}
	if b.cfg.RecordDir != "" {
		set("module", "sndfile.so")
		set("snd_path", b.cfg.RecordDir)
	}
	set("module", "aubridge.so")
	if b.cfg.MediaEnc != "" {
		set("module", "srtp.so")
	}
	switch {
	case b.cfg.AudioFile != "":
		set("module", "aufile.so")
	case b.cfg.ToneHz > 0:
		set("module", "ausine.so")
	}
	set("module_app", "menu.so")     // the dial, accept, hangup, sndcode, uanew commands
	set("module_app", "ctrl_tcp.so") // loads after the SIP stack listens
	set("ringback_disabled", "yes")
	set("menu_bell", "no")
	set("statmode_default", "off") // else a status line every 100 ms floods the log
	return c.String()
}

// account is the account line given to the uanew command.
func (b *Baresip) account() string {
	var a strings.Builder
	fmt.Fprintf(&a, "<sip:%s@%s>", b.cfg.User, b.domain)
	if b.cfg.Password != "" {
		fmt.Fprintf(&a, ";auth_pass=%s", b.cfg.Password)
	}
	if b.cfg.Registrar != "" {
		fmt.Fprintf(&a, ";outbound=\"%s\";regint=600", b.cfg.Registrar)
	} else {
		a.WriteString(";regint=0")
	}
	if b.cfg.AutoAnswer {
		a.WriteString(";answermode=auto")
	} else {
		a.WriteString(";answermode=manual")
	}
	if b.cfg.MediaEnc != "" {
		fmt.Fprintf(&a, ";mediaenc=%s", b.cfg.MediaEnc)
	}
	codecs := "PCMU,PCMA"
	if len(b.cfg.Codecs) > 0 {
		codecs = strings.Join(b.cfg.Codecs, ",")
	}
	fmt.Fprintf(&a, ";audio_codecs=%s;ptime=20", codecs)
	return a.String()
}

// baresipModulePath is where Debian (and baresip's own install) puts the
// modules; a baresip elsewhere shows in its log which module it missed.
func baresipModulePath() string {
	for _, dir := range []string{"/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules", "/usr/lib64/baresip/modules"} {
		if _, err := os.Stat(filepath.Join(dir, "ctrl_tcp.so")); err == nil {
			return dir
		}
	}
	if m, _ := filepath.Glob("/usr/lib/*/baresip/modules/ctrl_tcp.so"); len(m) > 0 {
		return filepath.Dir(m[0])
	}
	return "/usr/lib/baresip/modules"
}

// dialCtrl connects to ctrl_tcp, retrying while baresip starts.
func (b *Baresip) dialCtrl(port int) (net.Conn, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(baresipStartTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if ok, _ := b.proc.exited(); ok {
			return nil, b.proc.errExited()
		}
		conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			return conn, nil
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("ctrl_tcp on %s not up within %v: %v", addr, baresipStartTimeout, lastErr)
}

// uriHostPort returns the host[:port] of a SIP URI such as
// "sip:127.0.0.1:5060;lr".
func uriHostPort(uri string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(uri, "sips:"), "sip:")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, ";?>"); i >= 0 {
		s = s[:i]
	}
	return s
}

// URI is the SIP URI that reaches this user agent directly, without a
// registrar: sip:user@127.0.0.1:port.
func (b *Baresip) URI() string {
	return fmt.Sprintf("sip:%s@127.0.0.1:%d", b.cfg.User, b.port)
}

// AOR is the account's address of record: sip:user@domain.
func (b *Baresip) AOR() string {
	return fmt.Sprintf("sip:%s@%s", b.cfg.User, b.domain)
}

// Port is the SIP port (UDP and TCP); TLS listens on Port()+1.
func (b *Baresip) Port() int { return b.port }

// PID is baresip's process id, for reading its use of the machine in /proc.
func (b *Baresip) PID() int { return b.proc.cmd.Process.Pid }

// Dial places a call to uri (through the Registrar when there is one).
// Progress shows as events: CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED.
func (b *Baresip) Dial(uri string) error {
	_, err := b.Command("dial", uri)
	return err
}

// Answer answers the incoming call (after CALL_INCOMING).
func (b *Baresip) Answer() error {
	_, err := b.Command("accept", "")
	return err
}

// Hangup ends the current call, or rejects an incoming one with 486.
func (b *Baresip) Hangup() error {
	_, err := b.Command("hangup", "")
	return err
}

// SendDTMF sends digits (0-9, *, #, A-D) in the current call as RFC 4733
// telephone events. baresip sends them from its audio clock, so the call
// needs an audio source (BaresipConfig.AudioFile or ToneHz); without one
// the digits are silently lost.
func (b *Baresip) SendDTMF(digits string) error {
	_, err := b.Command("sndcode", digits)
	return err
}

// Command runs any baresip command (as typed after '/' in its console) over
// ctrl_tcp and returns its response text. It fails when baresip answers
// that the command failed, or does not answer within 5 s.
//
// baresip 1.0.0 fails only unknown commands: dial, accept, hangup and
// sndcode succeed even when there is nothing to do (no call, an empty URI).
// So do Dial, Answer, Hangup and SendDTMF; what they did shows in events.
func (b *Baresip) Command(cmd, params string) (string, error) {
	if b.ctrl == nil {
		return "", fmt.Errorf("baresip %s: not connected", b.cfg.User)
	}
	return b.ctrl.command(cmd, params, commandTimeout)
}

// WaitEvent returns the oldest event not yet returned whose Type or Class is
// typeOrClass, or one of its alternatives separated by '|'
// ("REGISTER_OK|REGISTER_FAIL"), waiting up to timeout for it. Other events
// stay queued for later calls. The test fails, with every event seen, if
// none comes in time or baresip ends. Call it from the test's goroutine.
//
// With AutoAnswer, baresip 1.0.0 reports no CALL_INCOMING: an incoming call
// shows first as CALL_ESTABLISHED.
func (b *Baresip) WaitEvent(t testing.TB, typeOrClass string, timeout time.Duration) Event {
	t.Helper()
	want := strings.Split(typeOrClass, "|")
	e, err := b.ctrl.waitEvent(func(e Event) bool {
		for _, w := range want {
			if e.Type == w || e.Class == w {
				return true
			}
		}
		return false
	}, timeout)
	if err != nil {
		t.Fatalf("peertest: baresip %s: waiting for %s: %v; events so far:\n%s", b.cfg.User, typeOrClass, err, b.eventLog())
	}
	return e
}

// Events returns every event received so far, oldest first (at most 1024).
func (b *Baresip) Events() []Event {
	if b.ctrl == nil {
		return nil
	}
	ev, _ := b.ctrl.events()
	return ev
}

func (b *Baresip) eventLog() string {
	if b.ctrl == nil {
		return "  (not connected)"
	}
	ev, dropped := b.ctrl.events()
	var s strings.Builder
	for _, e := range ev {
		fmt.Fprintf(&s, "  %s %s\n", e.At.Format("15:04:05.000"), e.Raw)
	}
	if len(ev) == 0 {
		s.WriteString("  (none)\n")
	}
	if dropped > 0 {
		fmt.Fprintf(&s, "  (%d events dropped unread)\n", dropped)
	}
	return s.String()
}

// Output returns what baresip printed so far (its last 1 MiB), with the
// SIP trace.
func (b *Baresip) Output() string {
	if b.proc == nil {
		return ""
	}
	return b.proc.out.String()
}

// Close kills baresip and waits for it (a few seconds at most). t.Cleanup
// calls it; calling it again does nothing.
func (b *Baresip) Close() {
	b.closeOnce.Do(func() {
		if b.proc != nil {
			_ = b.proc.stop() // the process's own cleanup reports a failure
		}
		if b.ctrl != nil {
			b.ctrl.close()
		}
	})
}
