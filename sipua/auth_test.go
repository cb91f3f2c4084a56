package sipua

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua/digest"
	"intercom/sipua/message"
)

// guardedUA starts a station that challenges every caller with Digest
// (one user, concierge, password s3cret) and answers those who pass, with
// the given guessing limits; its debug log goes to the returned buffer.
func guardedUA(t *testing.T, limits digest.Limits) (*UA, *peertest.Buffer) {
	t.Helper()
	logs := new(peertest.Buffer)
	ua, err := New(Config{
		Listen:      "127.0.0.1:0",
		Account:     Account{User: "door"},
		Logger:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		InboundAuth: func(user string) (string, bool) { return "s3cret", user == "concierge" },
		OnIncoming:  func(c *Call) { _ = c.Answer() },
	})
	if err != nil {
		t.Fatal(err)
	}
	ua.inbound.Throttle().SetLimits(limits)
	t.Cleanup(ua.Close)
	return ua, logs
}

// sha256Line is a SHA-256 challenge in a response.
var sha256Line = regexp.MustCompile(`(?m)^WWW-Authenticate: Digest [^\r\n]*algorithm=SHA-256[^\r\n]*\r\n`)

// md5Proxy relays UDP between one client and the station at to, taking
// the SHA-256 challenges out of the station's answers: svcrack 0.3.3
// knows only MD5 and crashes on the SHA-256 challenge the station lists
// first, so without this it could not even try (the station offers MD5
// too, for the phones that know nothing else). It returns the proxy's
// port; the station sees the proxy's address, 127.0.0.1, as the source.
func md5Proxy(t *testing.T, to netip.AddrPort) int {
	t.Helper()
	front, err1 := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	back, err2 := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	t.Cleanup(func() { front.Close(); back.Close() })
	var client atomic.Pointer[netip.AddrPort]
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := front.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			client.Store(&from)
			_, _ = back.WriteToUDPAddrPort(buf[:n], to)
		}
	}()
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := back.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if c := client.Load(); c != nil {
				_, _ = front.WriteToUDPAddrPort(sha256Line.ReplaceAll(buf[:n], nil), *c)
			}
		}
	}()
	return front.LocalAddr().(*net.UDPAddr).Port
}

// runSvcrack runs sipvicious's svcrack against user concierge at
// 127.0.0.1:port with INVITE, guessing the passwords of dict in order,
// for at most within; it returns svcrack's output and how long it ran.
func runSvcrack(t *testing.T, port int, dict []string, within time.Duration) (string, time.Duration) {
	t.Helper()
	path := peertest.NeedTool(t, "svcrack")
	dir := t.TempDir()
	file := filepath.Join(dir, "dict.txt")
	if err := os.WriteFile(file, []byte(strings.Join(dict, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-u", "concierge", "-d", file, "-m", "INVITE",
		"-p", strconv.Itoa(port), "-P", strconv.Itoa(peertest.FreePort(t, "udp")),
		"-x", "127.0.0.1", "-b", "127.0.0.1", "127.0.0.1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir) // its sessions stay in the test's folder
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	_ = cmd.Run() // killed at the deadline when it does not stop by itself
	return out.String(), time.Since(start)
}

// cracked matches svcrack's report of the password it found.
var cracked = regexp.MustCompile(`concierge\s*\|\s*s3cret`)

// wrongPasswords returns n passwords that are not s3cret.
func wrongPasswords(n int) []string {
	d := make([]string, n)
	for i := range d {
		d[i] = fmt.Sprintf("guess%04d", i)
	}
	return d
}

// TestSvcrackUnlimited measures how fast svcrack guesses when nothing
// limits it: it finds the password at the end of a dictionary of 300.
// This is the baseline for TestSvcrackLimited.
func TestSvcrackUnlimited(t *testing.T) {
	ua, _ := guardedUA(t, digest.Limits{MaxFailures: -1})
	port := md5Proxy(t, ua.Addr().AddrPort)
	dict := append(wrongPasswords(300), "s3cret")
	out, took := runSvcrack(t, port, dict, 60*time.Second)
	st := ua.AuthStats()
	t.Logf("no limiter: %d wrong guesses in %v: %.0f guesses/s; svcrack found: %q", st.Failures, took.Round(time.Millisecond),
		float64(st.Failures)/took.Seconds(), cracked.FindString(out))
	if !cracked.MatchString(out) {
		t.Errorf("svcrack did not find the password without a limiter; the measurement is void:\n%s", out)
	}
	if st.Failures < 250 {
		t.Errorf("%d wrong guesses checked, want about 300", st.Failures)
	}
}

// TestSvcrackLimited: the same svcrack run against the station's default
// limits. After DefaultLimits.MaxFailures wrong answers the source is
// blocked: its further requests are refused 403 with Retry-After and
// their credentials not checked, so svcrack finds nothing even with the
// right password in its list. The burst is logged once as auth_failed and
// the block once as auth_blocked, with the source address.
func TestSvcrackLimited(t *testing.T) {
	ua, logs := guardedUA(t, digest.DefaultLimits)
	port := md5Proxy(t, ua.Addr().AddrPort)
	dict := append(wrongPasswords(300), "s3cret")
	out, took := runSvcrack(t, port, dict, 8*time.Second)
	st := ua.AuthStats()
	t.Logf("limiter %+v: %d wrong guesses in %v (%.2f guesses/s; at most %d per %v in the long run), %d blocks, %d requests refused; svcrack found: %q",
		digest.DefaultLimits, st.Failures, took.Round(time.Millisecond), float64(st.Failures)/took.Seconds(),
		digest.DefaultLimits.MaxFailures, digest.DefaultLimits.Window+digest.DefaultLimits.Block, st.Blocks, st.Refused, cracked.FindString(out))
	if cracked.MatchString(out) || strings.Contains(out, "s3cret") {
		t.Errorf("svcrack found the password through the limiter:\n%s", out)
	}
	if st.Failures != uint64(digest.DefaultLimits.MaxFailures) || st.Blocks != 1 || st.Refused == 0 {
		t.Errorf("stats %+v; want %d failures, 1 block, some refused", st, digest.DefaultLimits.MaxFailures)
	}
	log := logs.String()
	for _, ev := range []string{"auth_failed", "auth_blocked"} {
		if n := strings.Count(log, `"event":"`+ev+`"`); n != 1 {
			t.Errorf("%d %s events, want 1 for the burst", n, ev)
		}
	}
	if !strings.Contains(log, `"event":"auth_blocked","source":"127.0.0.1"`) {
		t.Errorf("no auth_blocked with the source in the log:\n%s", log)
	}
	if strings.Contains(log, "s3cret") {
		t.Error("the password is in the log")
	}
}

// TestAuthAnswersSameForUnknownUser: wrong answers for a user who exists
// and for one who does not get the same response (401, a new challenge,
// never stale), so that the answers tell no user names.
func TestAuthAnswersSameForUnknownUser(t *testing.T) {
	ua, _ := guardedUA(t, digest.Limits{MaxFailures: -1})
	peer := newRawPeer(t)
	uri := "sip:door@" + ua.Addr().AddrPort.String()
	invite := func(user, auth string) *message.Message {
		t.Helper()
		wire := "INVITE " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + strconv.Itoa(peer.port()) + ";branch=z9hG4bK" + randomToken() +
			"\r\nFrom: <sip:" + user + "@127.0.0.1>;tag=t1\r\nTo: <" + uri + ">\r\nCall-ID: " + randomToken() +
			"\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		if auth != "" {
			wire += "Authorization: " + auth + "\r\n"
		}
		if _, err := peer.conn.WriteToUDPAddrPort([]byte(wire+"Content-Length: 0\r\n\r\n"), ua.Addr().AddrPort); err != nil {
			t.Fatal(err)
		}
		return readResponse(t, peer)
	}
	var shapes []string
	for _, tc := range []struct{ user, password string }{{"concierge", "wrong"}, {"nobody", "wrong"}, {"nobody", "s3cret"}} {
		first := invite(tc.user, "")
		chs, err := digest.Choose(first.Values("WWW-Authenticate"))
		if err != nil || len(chs) == 0 {
			t.Fatalf("challenge: %v", err)
		}
		auth, err := chs[0].Authorize(digest.Credentials{Username: tc.user, Password: tc.password},
			digest.Request{Method: "INVITE", URI: uri}, 1, "0a4f113b")
		if err != nil {
			t.Fatal(err)
		}
		resp := invite(tc.user, auth)
		v, _ := resp.Header("WWW-Authenticate")
		if resp.StatusCode() != 401 || bytes.Contains(v, []byte("stale")) {
			t.Errorf("%s/%s: %d %q, want 401 without stale", tc.user, tc.password, resp.StatusCode(), v)
		}
		shapes = append(shapes, fmt.Sprintf("%d %d", resp.StatusCode(), countSeq(resp.Values("WWW-Authenticate"))))
	}
	if shapes[0] != shapes[1] || shapes[1] != shapes[2] {
		t.Errorf("answers differ: %q", shapes)
	}
}

// countSeq counts the values of a header field.
func countSeq(seq func(func([]byte) bool)) int {
	n := 0
	for range seq {
		n++
	}
	return n
}

// readResponse reads the next final response the raw peer gets, within
// 5 s.
func readResponse(t *testing.T, p *rawPeer) *message.Message {
	t.Helper()
	buf := make([]byte, 65536)
	for range 10 {
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("waiting for a response: %v", err)
		}
		m, err := message.Parse(append([]byte(nil), buf[:n]...))
		if err == nil && !m.IsRequest() && m.StatusCode() >= 200 {
			return m
		}
	}
	t.Fatal("no final response among 10 messages")
	return nil
}
