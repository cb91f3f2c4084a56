package main

// The PROTOS c07-sip test suite (University of Oulu, OUSPG): 4,527
// malformed INVITEs in 54 groups, sent over UDP to the whole station run
// in-process. Its licence is GPL-2, so it is not in this repository: the
// test reads it from ../shared/testdata/protos-c07-sip beside the
// repository (as CI clones it) or from $INTERCOM_PROTOS_DIR.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua"
	"intercom/sipua/transaction"
)

// protosCase is one test case: the INVITE and the teardown template, with
// the suite's tags (<To>, <Call-ID>, ...) still in them.
type protosCase struct {
	invite, teardown []byte
}

// protosGroup is a named range of cases (groups.tsv).
type protosGroup struct {
	name         string
	first, count int
}

// protosDir returns the folder of the suite, or skips the test (fails it
// when CI is "true").
func protosDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("INTERCOM_PROTOS_DIR")
	if dir == "" {
		root, err := filepath.Abs(".")
		if err != nil {
			t.Fatal(err)
		}
		for range 10 { // up to the module's root
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			root = filepath.Dir(root)
		}
		dir = filepath.Join(root, "..", "shared", "testdata", "protos-c07-sip")
	}
	if _, err := os.Stat(filepath.Join(dir, "c07-sip-r2-testcases.tar.gz")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PROTOS c07-sip suite missing (set INTERCOM_PROTOS_DIR): %v", err)
		}
		t.Skipf("PROTOS c07-sip suite not found (set INTERCOM_PROTOS_DIR): %v", err)
	}
	return dir
}

// loadProtos reads the cases, by index, and the groups.
func loadProtos(t *testing.T, dir string) ([]protosCase, []protosGroup) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "c07-sip-r2-testcases.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cases := make([]protosCase, 4527)
	seen := 0
	tr := tar.NewReader(gz)
	for range 10000 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		idx, err := strconv.Atoi(filepath.Base(h.Name))
		if err != nil || idx < 0 || idx >= len(cases) {
			t.Fatalf("unexpected entry %s", h.Name)
		}
		data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := splitProtosRecords(data)
		if err != nil || len(recs) != 2 {
			t.Fatalf("case %d: %d records, %v", idx, len(recs), err)
		}
		cases[idx] = protosCase{invite: recs[0], teardown: recs[1]}
		seen++
	}
	if seen != len(cases) {
		t.Fatalf("%d cases in the archive, want %d", seen, len(cases))
	}
	g, err := os.ReadFile(filepath.Join(dir, "groups.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var groups []protosGroup
	next := 0
	for _, line := range strings.Split(string(g), "\n") {
		fs := strings.Split(line, "\t")
		if len(fs) != 4 || strings.HasPrefix(line, "#") || fs[0] == "group" {
			continue
		}
		first, err1 := strconv.Atoi(fs[1])
		count, err2 := strconv.Atoi(fs[2])
		if err1 != nil || err2 != nil || first != next {
			t.Fatalf("groups.tsv: bad line %q", line)
		}
		groups = append(groups, protosGroup{fs[0], first, count})
		next = first + count
	}
	if len(groups) != 54 || next != len(cases) {
		t.Fatalf("groups.tsv: %d groups up to case %d, want 54 up to %d", len(groups), next, len(cases))
	}
	return cases, groups
}

// splitProtosRecords splits a case file: records of a decimal length, a
// space and that many bytes.
func splitProtosRecords(d []byte) ([][]byte, error) {
	var recs [][]byte
	for len(d) > 0 && len(recs) < 10 {
		sp := bytes.IndexByte(d, ' ')
		if sp <= 0 {
			return nil, fmt.Errorf("no length")
		}
		n, err := strconv.Atoi(string(d[:sp]))
		if err != nil || n < 0 || sp+1+n > len(d) {
			return nil, fmt.Errorf("bad length %q", d[:sp])
		}
		recs = append(recs, d[sp+1:sp+1+n])
		d = d[sp+1+n:]
	}
	return recs, nil
}

// protosMaxDatagram is where the suite's sender cuts a case: the largest
// UDP payload over IPv4.
const protosMaxDatagram = 65507

// fill substitutes the suite's tags as its sender does, sets
// <Content-Length> to the length of the body and cuts the datagram.
func fill(tmpl []byte, tags map[string]string) []byte {
	out := tmpl
	for k, v := range tags {
		out = bytes.ReplaceAll(out, []byte(k), []byte(v))
	}
	body := 0
	if i := bytes.Index(out, []byte("\r\n\r\n")); i >= 0 {
		body = len(out) - i - 4
		if bytes.Contains(out, []byte("<Content-Length>")) {
			body -= len("<Content-Length>") - len(strconv.Itoa(body)) // the tag may be in the body
		}
	}
	out = bytes.ReplaceAll(out, []byte("<Content-Length>"), []byte(strconv.Itoa(body)))
	if len(out) > protosMaxDatagram {
		out = out[:protosMaxDatagram]
	}
	return out
}

var (
	statusRe = regexp.MustCompile(`^SIP/2\.0 (\d{3})`)
	cseqRe   = regexp.MustCompile(`(?mi)^(?:CSeq)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)`)
	tokenRe  = regexp.MustCompile(`pc(\d+)x`)
)

// protosPeer sends cases to the station and collects the answers.
type protosPeer struct {
	t       *testing.T
	c       *net.UDPConn
	station string // host:port
	local   int
	n       int // the run's counter, for unique Call-IDs and branches
	buf     []byte
	late    int // responses to earlier cases (retransmissions)
}

// outcome is what the station answered to one case.
type outcome struct {
	final   int // the INVITE's final status, 0 if none
	prov    bool
	cancel  int // the CANCEL's status
	answers int
}

// send sends a case with its CANCEL and ACK teardown, then an OPTIONS
// whose 200 marks the end of the station's answers to the case: the UA
// reads one socket in order, and answers the case (400, 100, 180, 487)
// before it reads the OPTIONS.
func (p *protosPeer) send(c protosCase) outcome {
	p.n++
	token := "pc" + strconv.Itoa(p.n) + "x"
	tags := map[string]string{
		"<To>": "door@" + p.station, "<From>": "protos@127.0.0.1:" + strconv.Itoa(p.local),
		"<From-Address>": "127.0.0.1", "<From-IP>": "127.0.0.1", "<Local-Port>": strconv.Itoa(p.local),
		"<Branch-ID>": token, "<Call-ID>": token, "<CSeq>": "1",
	}
	p.write(fill(c.invite, tags))
	for _, m := range []string{"CANCEL", "ACK"} {
		tags["<Teardown-Method>"] = m
		p.write(fill(c.teardown, tags))
	}
	// The marker is malformed (Max-Forwards), so the station answers it
	// 400 statelessly: thousands of markers keep no transaction for 32 s.
	return p.collect(token, "mk"+strconv.Itoa(p.n)+"y", "bad", 400)
}

// options sends a valid OPTIONS, which must be answered 200.
func (p *protosPeer) options() {
	p.n++
	if o := p.collect("", "mk"+strconv.Itoa(p.n)+"y", "70", 200); o.answers != 0 {
		p.t.Errorf("#%d: %d unexpected answers before the OPTIONS' 200", p.n, o.answers)
	}
}

// collect sends an OPTIONS with the given Max-Forwards and reads the
// answers to the case token until the OPTIONS is answered with want.
func (p *protosPeer) collect(token, marker, maxForwards string, want int) outcome {
	p.write([]byte("OPTIONS sip:door@" + p.station + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:" + strconv.Itoa(p.local) + ";branch=z9hG4bK" + marker + "\r\n" +
		"From: <sip:protos@127.0.0.1>;tag=" + marker + "\r\nTo: <sip:door@" + p.station + ">\r\n" +
		"Call-ID: " + marker + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: " + maxForwards + "\r\nContent-Length: 0\r\n\r\n"))
	var o outcome
	deadline := time.Now().Add(5 * time.Second)
	for range 100 {
		p.c.SetReadDeadline(deadline)
		n, err := p.c.Read(p.buf)
		if err != nil {
			p.t.Fatalf("case sent as #%d: no answer to the OPTIONS after it within 5 s: the station is wedged (%v); answers so far %+v", p.n, err, o)
		}
		resp := p.buf[:n]
		sm := statusRe.FindSubmatch(resp)
		if sm == nil {
			p.t.Fatalf("#%d: the station sent a datagram that is not a response: %q", p.n, resp[:min(n, 200)])
		}
		code, _ := strconv.Atoi(string(sm[1]))
		if bytes.Contains(resp, []byte(marker)) {
			if code != want {
				p.t.Fatalf("#%d: OPTIONS answered %d, want %d", p.n, code, want)
			}
			return o
		}
		if tm := tokenRe.FindSubmatch(resp); tm != nil && string(tm[0]) != token {
			p.late++ // a retransmission for an earlier case
			continue
		}
		if bytes.Contains(resp, []byte("OPTIONS")) && bytes.Contains(resp, []byte("mk")) {
			p.late++
			continue
		}
		o.answers++
		if cm := cseqRe.FindSubmatch(resp); cm != nil && string(cm[1]) == "CANCEL" {
			o.cancel = code
			continue
		}
		switch {
		case code < 200:
			o.prov = true
		case o.final == 0:
			o.final = code
		}
	}
	p.t.Fatalf("#%d: more than 100 answers", p.n)
	return o
}

func (p *protosPeer) write(b []byte) {
	if _, err := p.c.Write(b); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// countingWriter counts the log lines that contain a text, keeps the last
// few kilobytes and discards the rest, so the log does not grow the heap
// being measured.
type countingWriter struct {
	mu    sync.Mutex
	text  []byte
	count int
	lines int
	tail  []byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count += bytes.Count(p, w.text)
	w.lines += bytes.Count(p, []byte("\n"))
	w.tail = append(w.tail, p...)
	if len(w.tail) > 16<<10 {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-8<<10:]...)
	}
	return len(p), nil
}

func (w *countingWriter) counts() (matched, lines int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count, w.lines
}

// TestPROTOS sends every PROTOS c07-sip case to the station over UDP on
// 127.0.0.1, each followed by its CANCEL and ACK teardown and an OPTIONS.
// It checks that the station never crashes nor wedges (every OPTIONS is
// answered 200 in time), that every case the station can address a
// response to is answered with a final response, that after each group
// the suite's valid case is still answered, and that the malformed ones
// are counted and warned about once, not once each. It logs the figures:
// per-group answers, time, heap and goroutines.
func TestPROTOS(t *testing.T) {
	if testing.Short() {
		t.Skip("the PROTOS suite takes some seconds")
	}
	dir := protosDir(t)

	// Calls from 127.0.0.1 are allowed, so that valid INVITEs ring and
	// their offers reach the SDP parser; the CANCEL ends each.
	port := peertest.FreePort(t, "udp")
	cfgPath := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:%d\"\nuser = \"door\"\n"+
		"[audio]\nsource = \"null\"\nsink = \"null\"\ncodecs = [\"PCMU\", \"PCMA\"]\n[board]\nkind = \"sim\"\n"+
		"[answer]\nauto = false\nallow = [\"127.0.0.1/32\"]\n", port))
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := &countingWriter{text: []byte(`"msg":"malformed SIP message"`)}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	status := make(chan int, 1)
	ready := make(chan *sipua.UA, 1)
	go func() { status <- serve(ctx, cfg, log, logs, func(ua *sipua.UA, _ *station) { ready <- ua }) }()
	var ua *sipua.UA
	select {
	case ua = <-ready:
	case code := <-status:
		cancel()
		t.Fatalf("station exited with %d:\n%s", code, logs.tail)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("station not started within 10 s")
	}
	defer func() {
		cancel()
		select {
		case code := <-status:
			if code != 0 {
				t.Errorf("station exited with %d", code)
			}
		case <-time.After(15 * time.Second):
			t.Error("station did not stop within 15 s")
		}
	}()

	station := fmt.Sprintf("127.0.0.1:%d", port)
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := &protosPeer{t: t, c: c, station: station, local: c.LocalAddr().(*net.UDPAddr).Port, buf: make([]byte, 65536)}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	gBefore := runtime.NumGoroutine()
	fdsBefore := openFiles()
	cases, groups := loadProtos(t, dir)
	start := time.Now()

	type tally struct {
		final   map[int]int
		ringing int // provisional only: a valid INVITE whose teardown did not match it
		dropped int
		why     map[string]int // why the dropped ones got no answer here
	}
	var paused time.Duration
	var report strings.Builder
	fmt.Fprintf(&report, "%-30s %5s %8s %7s %8s  %s\n", "group", "cases", "answered", "ringing", "dropped", "final codes")
	total := tally{final: map[int]int{}, why: map[string]int{}}
	for _, g := range groups {
		gt := tally{final: map[int]int{}, why: map[string]int{}}
		for i := g.first; i < g.first+g.count; i++ {
			paused += paceProtos(t, ua)
			o := p.send(cases[i])
			switch {
			case o.final != 0:
				gt.final[o.final]++
			case o.prov:
				gt.ringing++
				if o.cancel == 0 {
					t.Errorf("%s case %d: rings, and its CANCEL was not answered", g.name, i)
				}
			default:
				gt.dropped++
				if why := noAnswerHere(fill(cases[i].invite, map[string]string{"<To>": "door@" + station, "<From-Address>": "127.0.0.1",
					"<Local-Port>": strconv.Itoa(p.local)}), p.local); why == "" {
					t.Errorf("%s case %d: no answer, though it has a request line and a Via to answer to:\n%.300q", g.name, i, cases[i].invite)
				} else {
					gt.why[why]++
				}
			}
		}
		// The station still answers valid requests after the group.
		p.options()
		if o := p.send(cases[0]); o.final == 0 || o.final >= 500 {
			t.Errorf("after %s: the valid INVITE got %+v, want a final answer below 500", g.name, o)
		}
		answered := 0
		var codes []string
		for code, n := range gt.final {
			answered += n
			total.final[code] += n
			codes = append(codes, fmt.Sprintf("%d:%d", code, n))
		}
		sort.Strings(codes)
		total.ringing += gt.ringing
		total.dropped += gt.dropped
		for k, v := range gt.why {
			total.why[k] += v
		}
		fmt.Fprintf(&report, "%-30s %5d %8d %7d %8d  %s\n", g.name, g.count, answered, gt.ringing, gt.dropped, strings.Join(codes, " "))
	}
	elapsed := time.Since(start)
	nCases := len(cases)
	cases = nil // the heap after is the station's
	gAfter := runtime.NumGoroutine()
	for i := 0; i < 50 && gAfter > gBefore+10; i++ { // the cancelled calls' goroutines end
		time.Sleep(100 * time.Millisecond)
		gAfter = runtime.NumGoroutine()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	fdsAfter := openFiles()
	st := ua.Stats()
	warned, lines := logs.counts()

	answered := 0
	var codes []string
	for code, n := range total.final {
		answered += n
		codes = append(codes, fmt.Sprintf("%d:%d", code, n))
	}
	sort.Strings(codes)
	fmt.Fprintf(&report, "%-30s %5d %8d %7d %8d  %s\n", "TOTAL", nCases, answered, total.ringing, total.dropped, strings.Join(codes, " "))
	t.Logf("PROTOS c07-sip-r2 against the station over UDP:\n%s", report.String())
	t.Logf("no answer on the sender's socket, and why: %v", total.why)
	t.Logf("%d cases (+%d valid INVITEs and OPTIONS as health checks) in %v, of which %v paused for the transaction table to drain (%.0f cases/s sending); late retransmissions %d",
		nCases, len(groups), elapsed.Round(time.Millisecond), paused.Round(time.Millisecond),
		float64(nCases)/(elapsed-paused).Seconds(), p.late)
	t.Logf("heap in use (after GC, the cases not counted) %.1f MiB before, %.1f MiB after, with %d server transactions alive; goroutines %d before, %d after",
		float64(before.HeapAlloc)/(1<<20), float64(after.HeapAlloc)/(1<<20), st.ServerTransactions, gBefore, gAfter)
	t.Logf("UA stats: %+v; log: %d lines, %d \"malformed SIP message\" warnings; open files %d before, %d after", st, lines, warned, fdsBefore, fdsAfter)
	// Every refused or cancelled call frees its RTP sockets: a leak of two
	// a refused offer once took the whole port range.
	if fdsAfter > fdsBefore+10 {
		t.Errorf("open files grew from %d to %d", fdsBefore, fdsAfter)
	}

	if st.MalformedAnswered == 0 {
		t.Error("the UA counted no malformed request")
	}
	// One warning a minute per source: the whole run comes from 127.0.0.1.
	if maxWarn := 1 + int(elapsed/time.Minute); warned > maxWarn {
		t.Errorf("%d malformed-message warnings in %v, want at most %d", warned, elapsed, maxWarn)
	}
	if gAfter > gBefore+200 {
		t.Errorf("goroutines grew from %d to %d", gBefore, gAfter)
	}
	if err := ctx.Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-status:
		t.Fatalf("the station stopped during the run with %d", code)
	default:
	}
}

// paceProtos waits, when the station holds many server transactions,
// until they drain: the suite sent at full speed is a flood, which the
// station would rightly refuse 503 past its bound (the valid INVITEs and
// their CANCELs linger 32 s each), and the point here is the parser. It
// returns how long it waited.
func paceProtos(t *testing.T, ua *sipua.UA) time.Duration {
	const high, low = transaction.DefaultMaxServers * 3 / 4, transaction.DefaultMaxServers / 4
	if ua.Stats().ServerTransactions < high {
		return 0
	}
	start := time.Now()
	for range 600 {
		if ua.Stats().ServerTransactions < low {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server transactions did not drain below %d within 60 s: %+v", low, ua.Stats())
	return 0
}

// noAnswerHere says why the station may rightly send no answer to a case
// to the sender's socket (RFC 3261 §8.2, §18.2.2), or "" if it must: no
// request line "Method SP Request-URI SP SIP-Version", an ACK, no whole
// Via header field line, or a Via that sends responses elsewhere (a
// sent-by port other than the sender's, 5060 when absent). The test's own
// judgment, independent of the station's parser.
func noAnswerHere(msg []byte, local int) string {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	parts := strings.Split(lines[0], " ")
	switch {
	case len(parts) != 3 || parts[0] == "" || parts[1] == "" || !regexp.MustCompile(`^(?i)SIP/`).MatchString(parts[2]):
		return "no request line"
	case parts[0] == "ACK":
		return "ACK"
	}
	complete := bytes.Contains(msg, []byte("\r\n\r\n"))
	for i, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if n := strings.ToLower(strings.TrimSpace(name)); !ok || (n != "via" && n != "v") {
			continue
		}
		if !complete && i == len(lines)-2 {
			return "Via cut off by the datagram's end"
		}
		m := regexp.MustCompile(`^\s*SIP\s*/\s*2\.0\s*/\s*UDP\s+([^\s;:,]+)(?::(\d+))?\s*(;|,|$)`).FindStringSubmatch(value)
		if m == nil {
			return "" // a malformed Via: answered 400 to the source
		}
		if strings.Contains(value, ";rport") {
			return ""
		}
		port := 5060
		if m[2] != "" {
			port, _ = strconv.Atoi(m[2])
		}
		if port != local {
			return "Via sends responses to another port"
		}
		return ""
	}
	return "no Via"
}

// openFiles counts the process's open file descriptors.
func openFiles() int {
	fds, _ := os.ReadDir("/proc/self/fd")
	return len(fds)
}
