package compare

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/internal/peertest"
)

var (
	callTime   = flag.Duration("compare.duration", 3*time.Second, "how long each call lasts")
	idleTime   = flag.Duration("compare.idle", 3*time.Second, "how long each system is watched idle before its call")
	codecList  = flag.String("compare.codecs", "PCMU,G722", "the codecs compared, a call each")
	cpus       = flag.String("compare.cpus", "", "STATION,PEER: the CPUs the station and the answering peer are pinned to (none if empty)")
	together   = flag.Bool("compare.together", false, "run both systems at once, each with its peer on a CPU of its own (swapped each round), so that the machine's noise falls on both alike; -compare.cpus is then unused")
	rounds     = flag.Int("compare.rounds", 1, "how many times each pair of calls is made, the order alternating; the targets are checked on the medians")
	hardTarget = flag.Bool("compare.targets", false, "fail when a target is missed (for full-length runs)")
	pprofDir   = flag.String("compare.pprof", "", "if set, build the intercom with -tags pprof and write CPU profiles of its idle and call windows here")
)

// cpuWindow is the window of the CPU rates whose median is the call's
// typical cost: the VM this is measured on has bursts of noise that
// double a window's cost, for either system.
const cpuWindow = 5 * time.Second

// result is what one system did in one call.
type result struct {
	system, codec string
	idleCPU       time.Duration // CPU used over the idle window
	callCPU       time.Duration // CPU per call-minute, over the whole call
	windowCPU     time.Duration // CPU per call-minute, the median of the call's cpuWindows
	wakeups       float64       // context switches a second in the call
	idleRSS       rss           // before the call
	callRSS       rss           // at the end of the call
	toAnswer      time.Duration // INVITE on the wire to the 200 OK on the wire
	toRTP         time.Duration // INVITE to the first RTP packet to the peer
	pressToINVITE time.Duration // the intercom's button press (HTTP API) to INVITE
}

// station is a system under test, as the door station: started to call a
// peer, it places one call when asked, and hangs up when asked.
type station interface {
	start(t *testing.T, peer string) (pid int)
	call(t *testing.T)
	hangup(t *testing.T)
}

// TestCompare places the same call with the intercom and with baresip as
// the door station, against the same answering peer (sipp, echoing RTP),
// for each codec, and prints a table a round. Both send 20 ms frames of
// silence from a paced source (intercom: the null device; baresip:
// aubridge joining its player and source, so it sends back what it hears)
// and decode what comes back; neither cancels echo. The wire times come
// from a packet capture on lo with the kernel's timestamps.
//
// make bench-compare runs it for 60 s calls, three rounds, both systems at
// once (-compare.together), with -compare.targets checked on the medians;
// CI runs it short, one system after the other, as a smoke test.
func TestCompare(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the comparison captures packets on lo: run it as root")
		}
		t.Skip("the comparison captures packets on lo (AF_PACKET): run it as root")
	}
	peertest.NeedTool(t, "sipp")
	peertest.NeedTool(t, "baresip")
	bin := buildIntercom(t)
	codecs := strings.Split(*codecList, ",")
	runs := make(map[string][]result) // by system and codec, a result a round
	if *together && runtime.NumCPU() < 2 {
		t.Fatal("-compare.together needs two CPUs, one a system")
	}
	for round := range max(*rounds, 1) {
		var results []result
		for _, codec := range codecs {
			codec = strings.TrimSpace(codec)
			var ic, bs result
			intercom := func(t *testing.T, cpus string) {
				ic = measure(t, "intercom", codec, &intercomStation{bin: bin, codec: codec}, cpus)
			}
			baresip := func(t *testing.T, cpus string) {
				bs = measure(t, "baresip", codec, &baresipStation{codec: codec}, cpus)
			}
			switch {
			case *together:
				// Each system and its peer on a CPU of their own, the
				// CPUs swapped each round.
				mine, theirs := "0,0", "1,1"
				if round%2 == 1 {
					mine, theirs = theirs, mine
				}
				ok := t.Run(fmt.Sprintf("round %d %s", round+1, codec), func(t *testing.T) {
					t.Run("intercom", func(t *testing.T) { t.Parallel(); intercom(t, mine) })
					t.Run("baresip", func(t *testing.T) { t.Parallel(); baresip(t, theirs) })
				})
				if !ok {
					t.FailNow()
				}
			case round%2 == 0: // alternating who goes first cancels a machine that drifts
				intercom(t, *cpus)
				baresip(t, *cpus)
			default:
				baresip(t, *cpus)
				intercom(t, *cpus)
			}
			results = append(results, ic, bs)
		}
		t.Logf("round %d of %d: calls of %v, idle windows of %v:\n%s", round+1, *rounds, *callTime, *idleTime, table(results))
		for _, r := range results {
			runs[r.system+" "+r.codec] = append(runs[r.system+" "+r.codec], r)
		}
	}
	var medians []result
	var cpuRatio []float64 // a codec each
	for _, codec := range codecs {
		codec = strings.TrimSpace(codec)
		ic, bs := runs["intercom "+codec], runs["baresip "+codec]
		medians = append(medians, median(ic), median(bs))
		whole, shownWhole := ratio(ic, bs, func(r result) time.Duration { return r.callCPU })
		window, shownWindow := ratio(ic, bs, func(r result) time.Duration { return r.windowCPU })
		cpuRatio = append(cpuRatio, window)
		t.Logf("%s: the intercom's CPU per call-minute over baresip's, round by round: %s over whole calls (median %.2f), %s in the median 5 s (median %.2f)",
			codec, shownWhole, whole, shownWindow, window)
	}
	if *rounds > 1 {
		t.Logf("medians of %d rounds:\n%s", *rounds, table(medians))
	}
	for i := 0; i+1 < len(medians); i += 2 {
		checkTargets(t, medians[i], medians[i+1], cpuRatio[i/2])
	}
}

// ratio returns the median over the rounds of the ratio of one figure of
// the intercom's (ic) to baresip's (bs), and the rounds' ratios as text.
// Each round's pair of calls ran close in time, or together.
func ratio(ic, bs []result, figure func(result) time.Duration) (float64, string) {
	ratios := make([]float64, len(ic))
	shown := make([]string, len(ic))
	for i := range ic {
		ratios[i] = float64(figure(ic[i])) / float64(figure(bs[i]))
		shown[i] = fmt.Sprintf("%.2f", ratios[i])
	}
	return middle(ratios), strings.Join(shown, ", ")
}

// median returns the median of each figure of rs, one system's results
// for one codec (the lower middle of an even count).
func median(rs []result) result {
	m := rs[0]
	m.idleCPU = medianOf(rs, func(r result) time.Duration { return r.idleCPU })
	m.callCPU = medianOf(rs, func(r result) time.Duration { return r.callCPU })
	m.windowCPU = medianOf(rs, func(r result) time.Duration { return r.windowCPU })
	m.wakeups = medianOf(rs, func(r result) float64 { return r.wakeups })
	m.idleRSS.total = medianOf(rs, func(r result) int { return r.idleRSS.total })
	m.callRSS.total = medianOf(rs, func(r result) int { return r.callRSS.total })
	m.callRSS.peak = medianOf(rs, func(r result) int { return r.callRSS.peak })
	m.callRSS.anon = medianOf(rs, func(r result) int { return r.callRSS.anon })
	m.callRSS.file = medianOf(rs, func(r result) int { return r.callRSS.file })
	m.toAnswer = medianOf(rs, func(r result) time.Duration { return r.toAnswer })
	m.toRTP = medianOf(rs, func(r result) time.Duration { return r.toRTP })
	m.pressToINVITE = medianOf(rs, func(r result) time.Duration { return r.pressToINVITE })
	return m
}

// medianOf returns the median of one figure of rs.
func medianOf[T cmp.Ordered](rs []result, figure func(result) T) T {
	v := make([]T, len(rs))
	for i, r := range rs {
		v[i] = figure(r)
	}
	return middle(v)
}

// middle sorts v and returns its median (the lower middle of an even
// count).
func middle[T cmp.Ordered](v []T) T {
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// measure watches the system idle, then has it call a fresh answering peer
// for the call time, and reads its costs and the capture. cpus, unless
// empty, is STATION,PEER: the CPUs the two are pinned to.
func measure(t *testing.T, system, codec string, s station, cpus string) result {
	t.Helper()
	r := result{system: system, codec: codec}
	media := peertest.FreePorts(t, 4, "udp")
	peer := peertest.StartSippWithin(t, *callTime+time.Minute, writeScenario(t, codec), "-rtp_echo", "-mp", strconv.Itoa(media))
	pid := s.start(t, fmt.Sprintf("sip:flat@127.0.0.1:%d", peer.Port))
	if cpus != "" {
		station, answering, ok := strings.Cut(cpus, ",")
		pin(t, pid, station)
		if ok {
			pin(t, peer.PID, answering)
		}
	}

	// watch waits d, recording a CPU profile of the window when asked to,
	// and returns the CPU per minute of each whole cpuWindow in it.
	watch := func(d time.Duration, window string) []time.Duration {
		profiled := make(chan struct{})
		if p, ok := s.(profiler); ok && *pprofDir != "" {
			go func() {
				defer close(profiled)
				p.profile(t, d, filepath.Join(*pprofDir, fmt.Sprintf("%s-%s-%s.pprof", system, codec, window)))
			}()
		} else {
			close(profiled)
		}
		var rates []time.Duration
		end := time.Now().Add(d)
		for from, cpu := time.Now(), cpuTime(t, pid); time.Until(end) >= cpuWindow; {
			time.Sleep(cpuWindow)
			now, c := time.Now(), cpuTime(t, pid)
			rates = append(rates, perMinute(c-cpu, now.Sub(from)))
			from, cpu = now, c
		}
		time.Sleep(time.Until(end))
		<-profiled
		return rates
	}

	time.Sleep(time.Second) // past its start
	cpu0 := cpuTime(t, pid)
	watch(*idleTime, "idle")
	r.idleCPU = cpuTime(t, pid) - cpu0
	r.idleRSS = memory(t, pid)

	sn, err := newSniffer(peer.Port, media)
	if err != nil {
		t.Fatalf("capture on lo: %v", err)
	}
	defer sn.close()
	start := time.Now()
	s.call(t)
	var answered time.Time
	if !waitFor(15*time.Second, func() bool {
		var ok bool
		answered, ok = sn.first(start, from(peer.Port, "SIP/2.0 200"))
		return ok
	}) {
		t.Fatalf("%s, %s: no 200 OK from the peer within 15 s", system, codec)
	}
	// The set-up is captured once the first RTP packet is: the capture
	// stops before the CPU is measured. Left on, it would be woken by every
	// packet on lo, at the sender's cost, across CPUs.
	if !waitFor(5*time.Second, func() bool { _, ok := sn.first(start, rtpTo(media)); return ok }) {
		t.Fatalf("%s, %s: no RTP to the peer within 5 s of its answer", system, codec)
	}
	sn.close()
	cpuA, swA, atA := cpuTime(t, pid), contextSwitches(t, pid), time.Now()
	windows := watch(*callTime, "call")
	cpuB, swB, atB := cpuTime(t, pid), contextSwitches(t, pid), time.Now()
	r.callCPU = perMinute(cpuB-cpuA, atB.Sub(atA))
	r.windowCPU = r.callCPU // a call shorter than a window
	if len(windows) > 0 {
		r.windowCPU = middle(windows)
	}
	r.wakeups = float64(swB-swA) / atB.Sub(atA).Seconds()
	r.callRSS = memory(t, pid)
	s.hangup(t)
	if err := peer.Wait(t); err != nil {
		t.Errorf("%s, %s: the answering peer: %v", system, codec, err)
	}

	invite, ok := sn.first(start, to(peer.Port, "INVITE "))
	rtp, ok2 := sn.first(start, rtpTo(media))
	if !ok || !ok2 {
		t.Fatalf("%s, %s: capture lacks the INVITE (%v) or RTP (%v)", system, codec, ok, ok2)
	}
	r.toAnswer, r.toRTP = answered.Sub(invite), rtp.Sub(invite)
	if ic, ok := s.(*intercomStation); ok {
		r.pressToINVITE = invite.Sub(ic.pressed)
	}
	return r
}

// table formats the results as Markdown.
func table(rs []result) string {
	var b strings.Builder
	b.WriteString("| system | codec | CPU per call-minute: whole call / median 5 s | context switches/s | CPU idle | RSS idle | RSS in call (peak) | of which anonymous / files | INVITE→200 | INVITE→RTP | press→INVITE |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		press := "-"
		if r.system == "intercom" {
			press = fmt.Sprintf("%.2f ms", ms(r.pressToINVITE))
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f / %.0f ms | %.0f | %.1f ms in %v | %.1f MiB | %.1f MiB (%.1f) | %.1f / %.1f MiB | %.2f ms | %.2f ms | %s |\n",
			r.system, r.codec, ms(r.callCPU), ms(r.windowCPU), r.wakeups, ms(r.idleCPU), *idleTime, mib(r.idleRSS.total), mib(r.callRSS.total), mib(r.callRSS.peak),
			mib(r.callRSS.anon), mib(r.callRSS.file), ms(r.toAnswer), ms(r.toRTP), press)
	}
	return b.String()
}

// checkTargets compares the intercom with baresip (medians over the
// rounds): CPU per call-minute at most half (cpuRatio, the median of the
// rounds' ratios of their median 5 s windows), resident memory
// in the call no more, setup no slower, and the press to the INVITE under
// 5 ms. Short runs only log.
func checkTargets(t *testing.T, ic, bs result, cpuRatio float64) {
	t.Helper()
	report := t.Logf
	if *hardTarget {
		report = t.Errorf
	}
	if cpuRatio > 0.5 {
		report("%s: CPU per call-minute %.2f of baresip's, want at most half", ic.codec, cpuRatio)
	}
	if ic.callRSS.total > bs.callRSS.total {
		report("%s: resident memory in the call %d KiB, more than baresip's %d KiB", ic.codec, ic.callRSS.total, bs.callRSS.total)
	}
	// The answer comes from the same peer: a millisecond of slack for the
	// machine's noise.
	if ic.toAnswer > bs.toAnswer+time.Millisecond || ic.toRTP > bs.toRTP+time.Millisecond {
		report("%s: setup %v/%v (200/RTP), slower than baresip's %v/%v", ic.codec, ic.toAnswer, ic.toRTP, bs.toAnswer, bs.toRTP)
	}
	if ic.pressToINVITE >= 5*time.Millisecond {
		report("%s: press to INVITE %v, want under 5 ms", ic.codec, ic.pressToINVITE)
	}
}

// scenario is the answering peer: it answers at once with the codec's
// payload type, echoes the RTP (-rtp_echo) and waits for the BYE.
const scenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="answering peer">
  <recv request="INVITE" />
  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]peer[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:flat@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=peer 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP %d
a=rtpmap:%d %s/8000
a=ptime:20

    ]]>
  </send>
  <recv request="ACK" />
  <recv request="BYE" timeout="%d" />
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

// writeScenario writes the answering peer's scenario for codec.
func writeScenario(t *testing.T, codec string) string {
	t.Helper()
	pt := map[string]int{"PCMU": 0, "PCMA": 8, "G722": 9}[codec]
	if pt == 0 && codec != "PCMU" {
		t.Fatalf("codec %q: want PCMU, PCMA or G722", codec)
	}
	path := filepath.Join(t.TempDir(), "peer.xml")
	body := fmt.Sprintf(scenario, pt, pt, codec, (*callTime + 30*time.Second).Milliseconds())
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildIntercom builds the firmware for this machine, in its own module
// (two folders up).
func buildIntercom(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "intercom")
	// As make builds the firmware: stripped, without cgo.
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if *pprofDir != "" {
		args = append(args, "-tags", "pprof")
	}
	cmd := exec.Command("go", append(args, "./cmd/intercom")...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// profiler is a station that can record a CPU profile of itself.
type profiler interface {
	profile(t *testing.T, d time.Duration, file string)
}

// intercomStation is `intercom run` on the simulated board, pressed and
// hung up through its HTTP API.
type intercomStation struct {
	bin, codec string
	api        string // the API's base URL
	pprof      string // the profiles' base URL, with -compare.pprof
	pressed    time.Time
}

const intercomConfig = `
[sip]
listen = "127.0.0.1:0"
user = "door"
keepalive = "0s"
[audio]
source = "null"
sink = "null"
codecs = ["%s"]
echo_cancel = false
[board]
kind = "sim"
[[button]]
name = "flat"
pin = "GPIO17"
targets = ["%s"]
[http]
listen = "127.0.0.1:%d"
`

func (s *intercomStation) start(t *testing.T, peer string) int {
	t.Helper()
	port := peertest.FreePort(t, "tcp")
	s.api = fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := filepath.Join(t.TempDir(), "intercom.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(intercomConfig, s.codec, peer, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out peertest.Buffer
	cmd := exec.Command(s.bin, "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1") // as the systemd unit runs it
	if *pprofDir != "" {
		addr := fmt.Sprintf("127.0.0.1:%d", peertest.FreePort(t, "tcp"))
		s.pprof = "http://" + addr
		cmd.Env = append(cmd.Env, "INTERCOM_PPROF="+addr)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("intercom's output:\n%s", out.String())
		}
	})
	if !waitFor(10*time.Second, func() bool {
		resp, err := http.Get(s.api + "/api/v1/status")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("intercom's API did not come up within 10 s:\n%s", out.String())
	}
	return cmd.Process.Pid
}

// profile records a CPU profile of d (whole seconds) into file. It may run
// on a goroutine of its own: it reports failures without stopping the test.
func (s *intercomStation) profile(t *testing.T, d time.Duration, file string) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.pprof, int(d.Seconds())))
	if err != nil {
		t.Errorf("pprof: %v", err)
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("pprof: %s: %v", resp.Status, err)
		return
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("CPU profile: go tool pprof -top %s", file)
}

func (s *intercomStation) call(t *testing.T) {
	t.Helper()
	s.pressed = time.Now()
	post(t, s.api+"/api/v1/buttons/flat/press", http.MethodPost)
}

func (s *intercomStation) hangup(t *testing.T) {
	t.Helper()
	post(t, s.api+"/api/v1/calls/current", http.MethodDelete)
}

// post sends a request without a body to the station's API.
func post(t *testing.T, url, method string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
}

// baresipStation is baresip with one local account, driven by ctrl_tcp.
type baresipStation struct {
	codec, peer string
	b           *peertest.Baresip
}

func (s *baresipStation) start(t *testing.T, peer string) int {
	t.Helper()
	s.peer = peer
	s.b = peertest.StartBaresip(t, peertest.BaresipConfig{User: "door", Loopback: true, Codecs: []string{s.codec}})
	return s.b.PID()
}

func (s *baresipStation) call(t *testing.T) {
	t.Helper()
	if err := s.b.Dial(s.peer); err != nil {
		t.Fatal(err)
	}
}

func (s *baresipStation) hangup(t *testing.T) {
	t.Helper()
	if err := s.b.Hangup(); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 5 ms until it holds or within has passed.
func waitFor(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// perMinute scales cpu, used over d, to a minute.
func perMinute(cpu, d time.Duration) time.Duration {
	return time.Duration(float64(cpu) * float64(time.Minute) / float64(d))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(kib int) float64        { return float64(kib) / 1024 }
