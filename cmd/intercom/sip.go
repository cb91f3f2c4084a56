package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"intercom/device/hw"
	"intercom/internal/httpapi"
	"intercom/internal/mqtt"
	"intercom/internal/pagetrim"
	"intercom/internal/sdnotify"
	"intercom/sipua"
	"intercom/sipua/media"
	"intercom/sipua/message"
	"intercom/sipua/sdp"
)

// commonFlags are the flags of the commands that run the user agent.
type commonFlags struct {
	config    string
	logFormat string
	logLevel  string
}

func (f *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "/etc/intercom/intercom.toml", "the config `file`")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// logger returns the logger the flags ask for, writing to w.
func (f *commonFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", f.logFormat)
}

// runStation runs "intercom run": the station, registered and answering
// as its config says, until SIGTERM or SIGINT.
func runStation(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f commonFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: intercom run --config FILE")
		return 2
	}
	cfg, log, code := setup(&f, stderr)
	if cfg == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return serve(ctx, cfg, log, stderr, nil)
}

// serve runs the station of cfg until ctx ends: the board and its
// peripherals, the user agent, the calls' audio. ready, if not nil, is
// called once everything runs.
func serve(ctx context.Context, cfg *Config, log *slog.Logger, stderr io.Writer, ready func(*sipua.UA, *station)) int {
	defer hw.SafeOnPanic() // a crash leaves the door relay off
	var calls sync.WaitGroup
	defer calls.Wait()
	var cue cues
	fw := newFirmware(ctx, cfg)
	fw.cues = &cue
	st, err := newStation(cfg, log, stationHooks{doorOpened: cue.doorOpened, autoAnswered: cue.answered, event: fw.stationEvent})
	switch {
	case st == nil:
		fmt.Fprintln(stderr, "intercom:", err)
		return 1
	case err != nil:
		log.Error("no door-station hardware; calls only", "err", err)
	}
	fw.st = st
	uc := uaConfig(cfg, log, &calls, &cue)
	onEvent := uc.OnEvent
	uc.OnEvent = func(e sipua.Event) { onEvent(e); st.SIPEvent(e); fw.sipEvent(e) }
	uc.OnIncoming = st.Incoming
	uc.MaxCalls = maxTargets(cfg) + 1 // a parallel ring, and one more to answer busy
	ua, err := sipua.New(uc)
	if err != nil {
		fmt.Fprintln(stderr, "intercom:", err)
		return 1
	}
	st.Attach(failFast{ua: ua, viaPBX: viaPBX(&cfg.SIP)})
	fw.ua.Store(ua)
	var side sync.WaitGroup // the station's loops and the shells
	defer side.Wait()
	side.Add(1)
	go func() { defer side.Done(); st.run(ctx) }()
	if err := startShells(ctx, cfg, fw, log, &side); err != nil {
		fmt.Fprintln(stderr, "intercom:", err)
		ua.Close()
		return 1
	}
	watchdog(ctx, ua, &side)
	log.Info("station started", "listen", ua.Addr().String(), "user", cfg.SIP.User, "domain", cfg.SIP.Domain,
		"buttons", len(cfg.Buttons))
	_ = sdnotify.Ready()
	releasePages(log, "start-up")
	if ready != nil {
		ready(ua, st)
	}
	err = ua.Run(ctx)
	_ = sdnotify.Stopping()
	if err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	log.Info("station stopped")
	return 0
}

// releasePages drops the mappings of the station's code and tables that
// ran for the phase now over: start-up, a call's set-up, a call. What the
// next phase runs is mapped again as it runs, so the resident set shows the
// working set (pagetrim).
func releasePages(log *slog.Logger, phase string) {
	if n, err := pagetrim.Release(); err != nil {
		log.Warn("program pages kept", "after", phase, "err", err)
	} else {
		log.Debug("program pages released", "after", phase, "bytes", n)
	}
}

// startShells starts the HTTP API and the MQTT bridge the config asks for.
func startShells(ctx context.Context, cfg *Config, fw *firmware, log *slog.Logger, wg *sync.WaitGroup) error {
	if cfg.HTTP.Listen != "" {
		srv, err := httpapi.New(httpapi.Config{Listen: cfg.HTTP.Listen, Token: cfg.HTTP.Token, Station: fw, Logger: log})
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx); err != nil {
				log.Error("http api", "err", err)
			}
		}()
	}
	if m := cfg.MQTT; m.Broker != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := mqtt.Run(ctx, mqtt.Config{Broker: m.Broker, Username: m.Username, Password: m.Password,
				ClientID: m.ClientID, Topic: m.Topic, Discovery: m.Discovery, Station: mqttStation{fw}, Logger: log})
			if err != nil {
				log.Error("mqtt", "err", err)
			}
		}()
	}
	return nil
}

// watchdog feeds systemd's watchdog, when the unit has one, only while
// the user agent answers: a deadlocked station stops the pings and is
// restarted.
func watchdog(ctx context.Context, ua *sipua.UA, wg *sync.WaitGroup) {
	interval, ok := sdnotify.WatchdogInterval()
	if !ok {
		return
	}
	w := sdnotify.NewWatchdog(interval)
	w.Register("sip")
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ua.Calls() // takes the user agent's lock: a deadlock stops the beats
				w.Beat("sip")
			}
		}
	}()
}

// setup loads the config and makes the logger; on failure it returns a
// nil config and the exit status.
func setup(f *commonFlags, stderr io.Writer) (*Config, *slog.Logger, int) {
	log, err := f.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "intercom:", err)
		return nil, nil, 2
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, 1
	}
	return cfg, log, 0
}

// callSummary is the JSON line "intercom call" prints.
type callSummary struct {
	Answered    bool    `json:"answered"`
	SetupMS     int64   `json:"setup_ms"`
	DurationS   float64 `json:"duration_s"`
	Codec       string  `json:"codec"`
	RTPSent     uint64  `json:"rtp_sent"`
	RTPReceived uint64  `json:"rtp_received"`
	DTMF        string  `json:"dtmf"`
	Code        int     `json:"code,omitempty"`
	Reason      string  `json:"reason"`
}

// placeCall runs "intercom call": one call with the config's account,
// ended by the callee, by --hangup-after, or by SIGINT/SIGTERM; it prints
// a JSON summary and exits 0 when the call was answered.
func placeCall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f commonFlags
	f.register(fs)
	hangupAfter := fs.Duration("hangup-after", 0, "hang up this long after the answer (0: wait for the callee)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: intercom call --config FILE [--hangup-after DURATION] URI")
		return 2
	}
	target := fs.Arg(0)
	cfg, log, code := setup(&f, stderr)
	if cfg == nil {
		return code
	}
	var calls sync.WaitGroup
	uc := uaConfig(cfg, log, &calls, &cues{})
	uc.OnIncoming = nil // a one-call tool answers nothing
	ua, err := sipua.New(uc)
	var inUse *net.OpError
	if errors.As(err, &inUse) && errors.Is(err, syscall.EADDRINUSE) {
		// The station runs on this address: call from another port.
		host, _, _ := net.SplitHostPort(uc.Listen)
		uc.Listen = net.JoinHostPort(host, "0")
		ua, err = sipua.New(uc)
	}
	if err != nil {
		fmt.Fprintln(stderr, "intercom:", err)
		return 1
	}
	defer ua.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	call, err := ua.Dial(ctx, target, sipua.DialOptions{RingTimeout: cfg.SIP.RingTimeout.Duration})
	if err != nil {
		fmt.Fprintln(stderr, "intercom:", err)
		return 1
	}
	select {
	case <-call.Answered():
		var after <-chan time.Time
		if *hangupAfter > 0 {
			after = time.After(*hangupAfter)
		}
		select {
		case <-after:
			call.Hangup()
		case <-ctx.Done():
			call.Hangup()
		case <-call.Done():
		}
	case <-call.Done():
	}
	<-call.Done()
	ua.Close()
	calls.Wait() // the speaker's recording is complete

	s := call.Summary()
	out := callSummary{Answered: s.Answered, SetupMS: s.Setup.Milliseconds(), DurationS: s.Duration.Seconds(),
		DTMF: s.DTMF, Code: s.Code, Reason: s.Reason}
	if m, ok := call.Media().(*media.Call); ok {
		st := m.Stream().Stats()
		out.Codec, out.RTPSent, out.RTPReceived = st.Codec, st.PacketsSent, st.PacketsReceived
	}
	line, _ := json.Marshal(out)
	fmt.Fprintf(stdout, "%s\n", line)
	if !s.Answered {
		return 1
	}
	return 0
}

// uaConfig maps the [sip], [audio] and [answer] tables on the user
// agent's config. calls counts the goroutines moving the calls' audio,
// for the caller to wait for.
func uaConfig(cfg *Config, log *slog.Logger, calls *sync.WaitGroup, cue *cues) sipua.Config {
	s := &cfg.SIP
	uc := sipua.Config{
		Listen:    s.Listen,
		Transport: s.Transport,
		Account: sipua.Account{User: s.User, Domain: s.Domain, Password: s.Password, AuthUser: s.AuthUser,
			Expires: s.RegisterExpires.Duration},
		OutboundProxy:   s.OutboundProxy,
		KeepAlive:       s.Keepalive.Duration,
		SessionExpires:  s.SessionExpires.Duration,
		MaxCallDuration: s.MaxCallDuration.Duration,
		Logger:          log,
		TLSClient:       &tls.Config{RootCAs: s.RootCAs(), MinVersion: tls.VersionTLS12},
	}
	if s.DNSServer != "" {
		uc.DNSServers = []string{s.DNSServer}
	}
	if c := s.Certificate(); c != nil {
		uc.TLSServer = &tls.Config{Certificates: []tls.Certificate{*c}, MinVersion: tls.VersionTLS12}
	}
	ports := newPortPool(s.RTPPortRange())
	ip := mediaAddr(s.Listen)
	uc.NewMedia = func(c *sipua.Call) (sipua.Media, error) {
		m, err := media.NewCall(media.CallConfig{Addr: ip, Port: ports.next, Logger: log,
			SDP:    sdp.Config{Codecs: cfg.Audio.Codecs, DTMF: true, SRTP: srtpMode(s.SRTP)},
			OnDTMF: func(key byte) { c.ReportDTMF(string(key), "rfc4733") }})
		if err != nil {
			return nil, err // not a nil *media.Call in a non-nil Media
		}
		return m, nil
	}
	tones := newProgressTones(&cfg.Audio, log)
	uc.OnEvent = func(e sipua.Event) {
		tones.event(e)
		if e.Name == sipua.EventCallAnswered {
			calls.Add(1)
			ch := cue.add(e.Call.CallID())
			go func() {
				defer calls.Done()
				defer cue.remove(e.Call.CallID())
				tones.wait(e.Call) // the ringback gives the speaker back
				releasePages(log, "call set-up")
				callAudio(e.Call, &cfg.Audio, log, ch, cfg.SIP.MaxCallDuration.Duration, cue)
				releasePages(log, "call")
			}()
		}
		if e.Name == sipua.EventCallEnded {
			calls.Add(1)
			go func() { defer calls.Done(); tones.shutdown.Wait() }()
		}
	}
	a := &cfg.Answer
	if len(a.Users) > 0 {
		uc.InboundAuth = func(user string) (string, bool) {
			p, ok := a.Users[user]
			return p, ok
		}
		uc.InboundAlgorithms = a.Algorithms()
	}
	uc.Policy = func(c *sipua.Call) int {
		from, err := message.ParseURI([]byte(c.Remote()))
		if err != nil || !a.Allows(&from, c.Source().Addr()) {
			return a.Code
		}
		return 0
	}
	return uc
}

// errPBXDown is why a call through the registrar fails at once while the
// registration is failed.
var errPBXDown = errors.New("the registrar is unreachable")

// failFast places the station's calls: one that would go through the
// registrar (PBX) while the registration is known to have failed (the
// registrar did not answer a probe, a REGISTER timed out) fails at once
// instead of waiting the INVITE's 32 s timeout, so that a button's
// fallback, rung directly, rings while the visitor still waits.
type failFast struct {
	ua     *sipua.UA
	viaPBX func(target string) bool
}

// Dial places a call to target, unless it goes through a registrar known
// to be down.
func (f failFast) Dial(ctx context.Context, target string, opts sipua.DialOptions) (*sipua.Call, error) {
	if st := f.ua.Registration(); st.State == sipua.RegFailed && f.viaPBX(target) {
		return nil, fmt.Errorf("%w (%v)", errPBXDown, st.Err)
	}
	return f.ua.Dial(ctx, target, opts)
}

// viaPBX returns whether a call target goes through the registrar: every
// target with an outbound proxy; else a bare user (called at the domain)
// and a URI whose host and port are the domain's. With no domain, none.
func viaPBX(s *SIP) func(target string) bool {
	if s.Domain == "" {
		return func(string) bool { return false }
	}
	if s.OutboundProxy != "" {
		return func(string) bool { return true }
	}
	domain, err := message.ParseURI([]byte("sip:" + s.Domain))
	if err != nil {
		return func(string) bool { return false }
	}
	return func(target string) bool {
		t := strings.TrimSpace(target)
		if !strings.Contains(t, "@") && !strings.Contains(t, ":") {
			return true // a bare user, at the domain
		}
		if !strings.HasPrefix(strings.ToLower(t), "sip") {
			t = "sip:" + t
		}
		u, err := message.ParseURI([]byte(t))
		return err == nil && strings.EqualFold(string(u.Host), string(domain.Host)) && u.Port == domain.Port
	}
}

// maxTargets is the most targets one button rings at once.
func maxTargets(cfg *Config) int {
	n := 1
	for _, b := range cfg.Buttons {
		n = max(n, len(b.Targets), len(b.Fallback))
	}
	return n
}

// srtpMode maps the sip.srtp key on the SDP layer's modes.
func srtpMode(key string) sdp.SRTPMode {
	switch key {
	case "optional":
		return sdp.SRTPOptional
	case "mandatory":
		return sdp.SRTPMandatory
	}
	return sdp.SRTPOff
}

// mediaAddr is the address our session descriptions give: the listen
// address, or when that is unspecified the first address of an interface
// that is up and not loopback, else loopback.
func mediaAddr(listen string) netip.Addr {
	if ap, err := netip.ParseAddrPort(listen); err == nil && !ap.Addr().IsUnspecified() {
		return ap.Addr()
	}
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				return p.Addr()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

// portPool hands out the even RTP ports of a range in turn.
type portPool struct {
	mu       sync.Mutex
	lo, hi   int
	nextPort int
}

func newPortPool(lo, hi int) *portPool { return &portPool{lo: lo, hi: hi, nextPort: lo} }

func (p *portPool) next() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := p.nextPort
	p.nextPort += 2
	if p.nextPort+1 > p.hi {
		p.nextPort = p.lo
	}
	return port
}
