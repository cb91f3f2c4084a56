package main

// Load and soak tests of the whole station, run in-process by serve, with
// sipp as the peer on 127.0.0.1. They measure and log figures (rates,
// gaps, goroutines, heap, descriptors) and assert only generous bounds.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua"
	"intercom/sipua/media"
)

// loadStation is the station of "intercom run", started by serve in this
// process on 127.0.0.1, auto-answering calls from 127.0.0.1.
type loadStation struct {
	ua     *sipua.UA
	port   int
	stop   context.CancelFunc
	status chan int
	logs   *logTail
}

// startLoadStation runs the station with the config's [sip] table
// completed by sipExtra (rtp_ports, ...). t.Cleanup stops it.
func startLoadStation(t *testing.T, sipExtra string) *loadStation {
	t.Helper()
	port := peertest.FreePort(t, "udp")
	text := fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:%d\"\nuser = \"door\"\n%s\n"+
		"[audio]\nsource = \"null\"\nsink = \"null\"\ncodecs = [\"PCMU\"]\n"+
		"[answer]\nauto = true\ndelay = \"0s\"\nallow = [\"127.0.0.1/32\"]\n", port, sipExtra)
	cfg, err := loadConfig(writeConfig(t, text))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logTail{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	s := &loadStation{port: port, stop: cancel, status: make(chan int, 1), logs: logs}
	ready := make(chan *sipua.UA, 1)
	go func() { s.status <- serve(ctx, cfg, log, logs, func(ua *sipua.UA, _ *station) { ready <- ua }) }()
	select {
	case s.ua = <-ready:
	case code := <-s.status:
		cancel()
		t.Fatalf("station exited with %d:\n%s", code, logs.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("station not started within 10 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.status:
		case <-time.After(15 * time.Second):
			t.Error("station did not stop within 15 s")
		}
		if t.Failed() {
			t.Logf("station log (tail):\n%s", logs.String())
		}
	})
	return s
}

// logTail is a log writer that keeps only the last 64 KiB and counts
// lines by message, so that a flood's log does not grow the heap that is
// being measured.
type logTail struct {
	mu    sync.Mutex
	tail  []byte
	busy  int // "incoming call refused: busy" lines
	ended int // call_ended events
	lines int
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines += bytes.Count(p, []byte("\n"))
	l.busy += bytes.Count(p, []byte(`"msg":"incoming call refused: busy"`))
	l.ended += bytes.Count(p, []byte(`"event":"call_ended"`))
	const keep = 64 << 10
	if cap(l.tail) == 0 {
		l.tail = make([]byte, 0, 2*keep)
	}
	if len(l.tail)+len(p) > cap(l.tail) {
		n := copy(l.tail, l.tail[max(0, len(l.tail)-keep/2):])
		l.tail = l.tail[:n]
	}
	if len(p) <= cap(l.tail)-len(l.tail) {
		l.tail = append(l.tail, p...)
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.tail)
}

func (l *logTail) counts() (lines, busy int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, l.busy
}

func (l *logTail) callsEnded() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ended
}

// sippRun is a sipp process running a scenario of many calls.
type sippRun struct {
	dir  string
	out  *peertest.Buffer
	done chan error
}

// startSippCalls runs sipp with args (scenario, -m, -r, the remote...),
// bounded by timeout; t.Cleanup stops it.
func startSippCalls(t *testing.T, timeout time.Duration, args ...string) *sippRun {
	t.Helper()
	path := peertest.NeedTool(t, "sipp")
	r := &sippRun{dir: t.TempDir(), out: &peertest.Buffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	all := append([]string{"-i", "127.0.0.1", "-p", strconv.Itoa(peertest.FreePort(t, "udp")), "-nostdin",
		"-timeout", strconv.Itoa(int(timeout.Seconds())) + "s", "-timeout_error", "-trace_err", "-trace_screen"}, args...)
	cmd := exec.CommandContext(ctx, path, all...)
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("sipp %v output:\n%s\n%s", args, r.out.String(), r.files("_errors.log"))
		}
	})
	return r
}

// wait waits for sipp to end and returns its exit error.
func (r *sippRun) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(timeout):
		t.Fatalf("sipp did not end within %v", timeout)
		return nil
	}
}

// files returns the contents of sipp's files in its folder whose names
// end with suffix.
func (r *sippRun) files(suffix string) string {
	var b strings.Builder
	names, _ := filepath.Glob(filepath.Join(r.dir, "*"+suffix))
	for _, n := range names {
		data, _ := os.ReadFile(n)
		if len(data) > 8<<10 {
			data = data[len(data)-8<<10:]
		}
		fmt.Fprintf(&b, "%s:\n%s\n", filepath.Base(n), data)
	}
	return b.String()
}

// successful reads the count of successful calls from sipp's final screen.
func (r *sippRun) successful() (ok, failed int) {
	screen := r.files("_screen.log")
	for line := range strings.SplitSeq(screen, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "Successful" && f[1] == "call" {
			ok, _ = strconv.Atoi(f[len(f)-1])
		}
		if len(f) >= 5 && f[0] == "Failed" && f[1] == "call" {
			failed, _ = strconv.Atoi(f[len(f)-1])
		}
	}
	return ok, failed
}

// resources are what a leak grows.
type resources struct {
	goroutines int
	heap       uint64 // bytes in use after a GC
	fds        int
}

func measure() resources {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, _ := os.ReadDir("/proc/self/fd")
	return resources{goroutines: runtime.NumGoroutine(), heap: m.HeapAlloc, fds: len(fds)}
}

func (r resources) String() string {
	return fmt.Sprintf("goroutines %d, heap %.2f MiB, fds %d", r.goroutines, float64(r.heap)/(1<<20), r.fds)
}

// settle measures until the resources are back within the bounds of
// base, or until timeout; it returns the last measure and how long it
// took.
func settle(base resources, goroutines int, heap uint64, fds int, timeout time.Duration) (resources, time.Duration, bool) {
	start := time.Now()
	for {
		r := measure()
		ok := r.goroutines <= base.goroutines+goroutines && r.heap <= base.heap+heap && r.fds <= base.fds+fds
		if ok || time.Since(start) > timeout {
			return r, time.Since(start), ok
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// rtpPeer is the media end of the call's peer: it records when each RTP
// packet of the station comes, and sends the station 50 PCMU packets a
// second from the same socket (symmetric RTP), once it knows where.
type rtpPeer struct {
	conn *net.UDPConn
	wg   sync.WaitGroup
	stop chan struct{}

	mu       sync.Mutex
	arrivals []time.Time
	station  netip.AddrPort
	sent     int
}

func startRTPPeer(t *testing.T) *rtpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{conn: conn, stop: make(chan struct{}), arrivals: make([]time.Time, 0, 50*180)}
	p.wg.Add(2)
	go p.receive()
	go p.send()
	t.Cleanup(p.close)
	return p
}

func (p *rtpPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *rtpPeer) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.conn.Close()
	p.wg.Wait()
}

func (p *rtpPeer) receive() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		now := time.Now()
		if n < 12 || buf[0]>>6 != 2 {
			continue
		}
		p.mu.Lock()
		if !p.station.IsValid() {
			p.station = from
		}
		if len(p.arrivals) < cap(p.arrivals) {
			p.arrivals = append(p.arrivals, now)
		}
		p.mu.Unlock()
	}
}

// send sends a 1 kHz PCMU tone, one 20 ms packet at a time.
func (p *rtpPeer) send() {
	defer p.wg.Done()
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0 // PCMU
	binary.BigEndian.PutUint32(pkt[8:], 0x5eed)
	// One period of 1 kHz at 8 kHz, in µ-law: a loud, continuous tone.
	period := []byte{0xff, 0x9f, 0x8f, 0x9f, 0xff, 0x1f, 0x0f, 0x1f}
	for i := 12; i < len(pkt); i++ {
		pkt[i] = period[(i-12)%len(period)]
	}
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		to := p.station
		p.mu.Unlock()
		if !to.IsValid() {
			continue
		}
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		seq++
		ts += 160
		if _, err := p.conn.WriteToUDPAddrPort(pkt, to); err == nil {
			p.mu.Lock()
			p.sent++
			p.mu.Unlock()
		}
	}
}

// window returns the packets that came in [from, to), their rate and the
// largest gap between two of them (or to a window edge).
func (p *rtpPeer) window(from, to time.Time) (n int, rate float64, gap time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := from
	for _, a := range p.arrivals {
		if a.Before(from) || !a.Before(to) {
			continue
		}
		n++
		gap = max(gap, a.Sub(last))
		last = a
	}
	gap = max(gap, to.Sub(last))
	return n, float64(n) / to.Sub(from).Seconds(), gap
}

// callScenario is a sipp UAC that calls the station with an offer whose
// media go to port (the test's RTP peer), and waits for the station's BYE.
const callScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="one call, media at the test">
  <send retrans="500">
    <![CDATA[
INVITE sip:door@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: flat <sip:flat@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
To: door <sip:door@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:flat@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=flat 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio %d RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send>
    <![CDATA[
ACK sip:door@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: flat <sip:flat@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
To: door <sip:door@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:flat@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
</scenario>
`

// floodScenario is a sipp UAC whose every INVITE must be refused, 486
// Busy Here or 503, with a Retry-After; the refusal is acknowledged.
const floodScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="INVITE flood on a busy station">
  <send>
    <![CDATA[
INVITE sip:door@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: flood <sip:flood@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: door <sip:door@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:flood@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=flood 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 9 RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="503" optional="true" next="1">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="Retry-After:" check_it="true" assign_to="ra503"/>
    </action>
  </recv>
  <recv response="486">
    <action>
      <ereg regexp="^ *60" search_in="hdr" header="Retry-After:" check_it="true" assign_to="ra486"/>
    </action>
  </recv>
  <label id="1"/>
  <Reference variables="ra503,ra486"/>
  <send>
    <![CDATA[
ACK sip:door@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
</scenario>
`

// writeScenario writes a scenario into a temporary folder.
func writeScenario(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInviteFlood: while the station is in a call with RTP flowing both
// ways, sipp floods it with INVITEs (2000 at 300 a second). Every one
// must be refused busy with a Retry-After (sipp checks the code and the
// header); the call's audio must go on (measured at the call's peer:
// packets a second and the largest gap, before and during the flood);
// goroutines and heap must come back to their level once the flood's
// transactions are over.
//
//	INTERCOM_FLOOD=1 go test -run TestInviteFlood -v ./cmd/intercom
//
// INTERCOM_FLOOD_CALLS and INTERCOM_FLOOD_RATE change the count and rate.
func TestInviteFlood(t *testing.T) {
	if os.Getenv("INTERCOM_FLOOD") == "" {
		t.Skip("a flood of 2000 INVITEs, sensitive to the machine's load: set INTERCOM_FLOOD=1")
	}
	count, rate := envInt("INTERCOM_FLOOD_CALLS", 2000), envInt("INTERCOM_FLOOD_RATE", 300)
	st := startLoadStation(t, "rtp_ports = \"42000-42099\"")
	peer := startRTPPeer(t)
	call := startSippCalls(t, 120*time.Second, "-sf", writeScenario(t, "call.xml", fmt.Sprintf(callScenario, peer.port())),
		"-m", "1", fmt.Sprintf("127.0.0.1:%d", st.port))
	var up *sipua.Call
	for range 100 {
		if cs := st.ua.Calls(); len(cs) == 1 && cs[0].State() == sipua.CallAnswered {
			up = cs[0]
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if up == nil {
		t.Fatal("the call is not up within 5 s")
	}
	stream := up.Media().(*media.Call).Stream()
	time.Sleep(1 * time.Second) // the station latched on the peer's RTP
	base := measure()
	t0 := time.Now()
	time.Sleep(3 * time.Second)
	before := stream.Stats()

	// The flood, with the resources sampled each second.
	t1 := time.Now()
	flood := startSippCalls(t, 120*time.Second, "-sf", writeScenario(t, "flood.xml", floodScenario),
		"-m", strconv.Itoa(count), "-r", strconv.Itoa(rate), "-rp", "1000", "-recv_timeout", "10s", fmt.Sprintf("127.0.0.1:%d", st.port))
	var peak resources
	var floodErr error
	sample := time.NewTicker(time.Second)
sampling:
	for range 120 {
		select {
		case floodErr = <-flood.done:
			break sampling
		case <-sample.C:
			r := measure()
			peak.goroutines, peak.heap, peak.fds = max(peak.goroutines, r.goroutines), max(peak.heap, r.heap), max(peak.fds, r.fds)
		}
	}
	sample.Stop()
	t2 := time.Now()
	during := stream.Stats()
	time.Sleep(2 * time.Second)
	t3 := time.Now()
	ok, failed := flood.successful()
	lines, busy := st.logs.counts()

	nBefore, rateBefore, gapBefore := peer.window(t0, t1)
	nDuring, rateDuring, gapDuring := peer.window(t1, t2)
	nAfter, rateAfter, gapAfter := peer.window(t2, t3)
	t.Logf("flood: %d INVITEs at %d/s took %v; sipp: %d refused as asked, %d failed (exit %v); station: %d busy log lines, %d lines",
		count, rate, t2.Sub(t1).Round(time.Millisecond), ok, failed, floodErr, busy, lines)
	t.Logf("station's RTP at the peer: before %d pkts %.1f/s max gap %v; during %d pkts %.1f/s max gap %v; after %d pkts %.1f/s max gap %v",
		nBefore, rateBefore, gapBefore.Round(time.Millisecond), nDuring, rateDuring, gapDuring.Round(time.Millisecond),
		nAfter, rateAfter, gapAfter.Round(time.Millisecond))
	t.Logf("peer's RTP at the station: received %d -> %d, concealed frames %d -> %d during the flood, late %d -> %d, lost %d",
		before.PacketsReceived, during.PacketsReceived, before.Concealed, during.Concealed, before.Late, during.Late, during.Lost)
	if floodErr != nil || ok != count {
		t.Errorf("sipp's flood: %d of %d INVITEs refused with 486/503 and Retry-After; exit %v", ok, count, floodErr)
	}
	// The machine's own load shows before the flood too: the flood may
	// add no gap of more than half a second, nor halve the rate.
	if gapDuring > gapBefore+500*time.Millisecond || rateDuring < rateBefore/2 {
		t.Errorf("the call's audio faltered during the flood: %.1f packets/s, a gap of %v (before: %.1f/s, %v)",
			rateDuring, gapDuring, rateBefore, gapBefore)
	}

	// The flood's transactions end (Timer I, 5 s after the ACK); the
	// transaction table's map keeps the size of its peak (Go maps do not
	// shrink), hence the bound of 1 MiB.
	time.Sleep(6 * time.Second)
	after, took, settled := settle(base, 5, 1<<20, 2, 40*time.Second)
	t.Logf("resources: before %v; peak during the flood %v; after %v (settled in %v); growth: %+d goroutines, %+.1f KiB heap, %+d fds",
		base, peak, after, took.Round(time.Millisecond), after.goroutines-base.goroutines,
		(float64(after.heap)-float64(base.heap))/1024, after.fds-base.fds)
	if !settled {
		t.Errorf("resources did not come back within 40 s: before %v, after %v", base, after)
	}
	up.Hangup()
	if err := call.wait(t, 20*time.Second); err != nil {
		t.Errorf("sipp's call: %v", err)
	}
}

// envInt reads a positive integer from the environment, else def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// TestSoak: calls in a row, one at a time, from sipp's UAC to the
// station, which answers each by itself; sipp hangs up each after 20 ms.
// Goroutines, heap after GC and open descriptors are measured before and
// after: a leak of a call's goroutines, sockets or state shows as growth.
// The calls' transactions and their state linger 64*T1 (32 s) after the
// calls, so the heap is waited for that long. 200 calls run by default
// (about 40 s in all);
//
//	INTERCOM_SOAK_CALLS=1000 go test -run TestSoak -v ./cmd/intercom
//
// runs the full soak.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of calls")
	}
	n := envInt("INTERCOM_SOAK_CALLS", 200)
	st := startLoadStation(t, "rtp_ports = \"41000-41199\"")
	target := fmt.Sprintf("127.0.0.1:%d", st.port)
	// A few calls first, so that what is set up once (pools, timers,
	// the runtime's own) is in the baseline.
	warm := startSippCalls(t, 60*time.Second, "-sn", "uac", "-s", "door", "-m", "5", "-l", "1", "-r", "100", "-d", "20", target)
	if err := warm.wait(t, 70*time.Second); err != nil {
		t.Fatalf("warm-up calls: %v", err)
	}
	waitCalls(t, st, 0)
	base := measure()
	start := time.Now()
	soak := startSippCalls(t, 10*time.Minute, "-sn", "uac", "-s", "door", "-m", strconv.Itoa(n), "-l", "1", "-r", "100", "-d", "20", target)
	err := soak.wait(t, 11*time.Minute)
	took := time.Since(start)
	ok, failed := soak.successful()
	waitCalls(t, st, 0)
	after, settledIn, settled := settle(base, 5, 512<<10, 2, 60*time.Second)
	t.Logf("soak: %d calls in a row in %v (%.1f ms a call); sipp: %d successful, %d failed (exit %v); station: %d calls ended",
		n, took.Round(time.Millisecond), float64(took.Milliseconds())/float64(n), ok, failed, err, st.logs.callsEnded())
	t.Logf("resources: before %v; after %v (settled in %v); growth: %+d goroutines, %+.1f KiB heap, %+d fds",
		base, after, settledIn.Round(time.Millisecond), after.goroutines-base.goroutines,
		(float64(after.heap)-float64(base.heap))/1024, after.fds-base.fds)
	if err != nil || ok != n {
		t.Errorf("sipp: %d of %d calls successful; exit %v", ok, n, err)
	}
	if !settled {
		t.Errorf("resources grew: before %v, after %v", base, after)
	}
}

// waitCalls waits up to 10 s for the station to have n calls.
func waitCalls(t *testing.T, st *loadStation, n int) {
	t.Helper()
	for range 200 {
		if len(st.ua.Calls()) == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the station has %d calls, want %d", len(st.ua.Calls()), n)
}
