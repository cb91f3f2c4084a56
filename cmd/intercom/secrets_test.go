package main

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// runInProcess runs "intercom run" with args in this process until the test
// ends, when SIGINT stops it; it returns its log (stderr) once the station
// has started. stop ends it earlier and reports its exit status; later
// calls return the same status.
func runInProcess(t *testing.T, args ...string) (logs *peertest.Buffer, stop func() int) {
	t.Helper()
	logs = new(peertest.Buffer)
	var out peertest.Buffer
	status := make(chan int, 1)
	go func() { status <- run(append([]string{"run"}, args...), &out, logs) }()
	code, stopped := 0, false
	stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		select {
		case code = <-status: // already ended: no signal, it would kill the test
			return code
		default:
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Error(err)
		}
		select {
		case code = <-status:
		case <-time.After(15 * time.Second):
			t.Error("intercom run did not stop within 15 s of SIGINT")
			code = -1
		}
		logs.Write([]byte(out.String())) // stdout too, for the checks
		return code
	}
	t.Cleanup(func() { stop() })
	for range 200 {
		if strings.Contains(logs.String(), "station started") {
			return logs, stop
		}
		select {
		case code = <-status:
			stopped = true
			t.Fatalf("intercom run ended with status %d:\n%s", code, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("the station did not start within 10 s:\n%s", logs.String())
	return nil, nil
}

// secretForms returns a password and what would give it away in a log: the
// Digest HA1 values of user in each realm (MD5, SHA-256 and SHA-512/256,
// of "user:realm:password" and kamailio's "user@realm:realm:password"),
// and the HTTP Basic form of user and password.
func secretForms(user, password string, realms ...string) []string {
	forms := []string{password, base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	for _, realm := range realms {
		for _, s := range []string{user + ":" + realm + ":" + password, user + "@" + realm + ":" + realm + ":" + password} {
			m, s2, s5 := md5.Sum([]byte(s)), sha256.Sum256([]byte(s)), sha512.Sum512_256([]byte(s))
			forms = append(forms, hex.EncodeToString(m[:]), hex.EncodeToString(s2[:]), hex.EncodeToString(s5[:]))
		}
	}
	return forms
}

// TestSecretsNeverLogged runs the station as "intercom run --log-level
// debug" through a session that uses every secret it holds, then searches
// its whole log for them:
//
//   - the SIP password: kamailio challenges the REGISTER, the INVITE of a
//     call placed through the HTTP API, and the un-REGISTER at the stop;
//   - the password of [answer] users: "intercom call" calls the station
//     and answers its Digest challenge (SHA-256); before it, a caller with
//     a wrong password is refused (auth_failed is logged); the callers'
//     own logs are searched too;
//   - the HTTP API token: requests with it, with a wrong one, with it in
//     the query string;
//   - the MQTT password, written in the broker URL, of a broker that is
//     down: the bridge logs its connect failures with the URL.
//
// None of them, none of the HA1 values (MD5, SHA-256, SHA-512/256) derived
// from the passwords, and no hash of the token may appear in the log.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		sipPassword   = "Reg-Pa55-9f3k2q"
		guestPassword = "Guest-Pa55-7hq4x"
		wrongPassword = "Wrong-Guess-2mz8v"
		apiToken      = "Api-Tok3n-5vn1c8e"
		mqttPassword  = "Mqtt-Pa55-8wd3r"
		flatPassword  = "Flat-Pa55-3kd9s"
	)
	k := peertest.StartKamailio(t, peertest.KamailioConfig{Users: map[string]string{"door": sipPassword, "flat": flatPassword}})
	flat := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat", Password: flatPassword, Domain: k.Domain(),
		Registrar: k.URI(), AutoAnswer: true})
	flat.WaitEvent(t, "REGISTER_OK", 10*time.Second)

	sipPort := peertest.FreePort(t, "udp")
	apiPort := peertest.FreePort(t, "tcp")
	mqttPort := peertest.FreePort(t, "tcp") // no broker there
	cfg := writeConfig(t, fmt.Sprintf(`
[sip]
listen = "127.0.0.1:%d"
user = "door"
domain = %q
outbound_proxy = %q
password = %q
[audio]
source = "null"
sink = "null"
[answer]
auto = true
allow = ["127.0.0.1/32"]
users = { concierge = %q }
[http]
listen = "127.0.0.1:%d"
token = %q
[mqtt]
broker = "mqtt://intercom:%s@127.0.0.1:%d"
`, sipPort, k.Domain(), k.URI(), sipPassword, guestPassword, apiPort, apiToken, mqttPassword, mqttPort))
	logs, stop := runInProcess(t, "--config", cfg, "--log-level", "debug", "--log-format", "json")
	waitLog(t, logs, `"event":"registered"`)

	base := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	api := func(method, path, token, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusBadRequest {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, msg)
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/api/v1/status", apiToken, http.StatusOK},
		{"/api/v1/status", "Api-Wrong-0000000", http.StatusUnauthorized},
		{"/api/v1/status?token=" + apiToken, "", http.StatusUnauthorized},
		{"/metrics?access_token=" + apiToken, "", http.StatusUnauthorized},
	} {
		if code := api(http.MethodGet, tc.path, tc.token, ""); code != tc.want {
			t.Errorf("GET %s with token %q: %d, want %d", tc.path, tc.token, code, tc.want)
		}
	}

	// A call out through the API: kamailio challenges the INVITE.
	if code := api(http.MethodPost, "/api/v1/calls", apiToken, `{"target":"`+k.UserURI("flat")+`"}`); code/100 != 2 {
		t.Fatalf("POST /api/v1/calls: %d", code)
	}
	flat.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	waitLog(t, logs, `"event":"call_answered"`)
	if code := api(http.MethodDelete, "/api/v1/calls/current", apiToken, ""); code != http.StatusNoContent {
		t.Errorf("DELETE /api/v1/calls/current: %d", code)
	}
	flat.WaitEvent(t, "CALL_CLOSED", 10*time.Second)
	waitLog(t, logs, `"event":"call_ended"`)

	// Calls in, challenged: a wrong password, then the right one. The
	// callers are "intercom call" too, for baresip 1.0 (libre 1.1) gives
	// up on a challenge list that holds SHA-256 (ENOSYS), MD5 or not.
	station := fmt.Sprintf("sip:door@127.0.0.1:%d", sipPort)
	caller := func(password string) (int, string) {
		cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"concierge\"\npassword = %q\n"+
			"[audio]\nsource = \"null\"\nsink = \"null\"\n", password))
		var out, errOut peertest.Buffer
		code := run([]string{"call", "--config", cfg, "--log-level", "debug", "--hangup-after", "500ms", station}, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, guesserLog := caller(wrongPassword)
	if code == 0 {
		t.Errorf("a caller with a wrong password got through:\n%s", guesserLog)
	}
	waitLog(t, logs, `"event":"auth_failed"`)
	code, callerLog := caller(guestPassword)
	if code != 0 {
		t.Errorf("the caller with the password: exit status %d:\n%s", code, callerLog)
	}
	waitLog(t, logs, `"msg":"mqtt connect failed"`)
	if code := stop(); code != 0 {
		t.Errorf("exit status %d", code)
	}

	log := logs.String()
	for _, want := range []string{`"level":"DEBUG"`, `"event":"registered"`, `"event":"auth_failed"`, `"direction":"incoming"`} {
		if !strings.Contains(log, want) {
			t.Errorf("no %s in the log: the session did not go as planned", want)
		}
	}
	if n := strings.Count(log, `"event":"call_answered"`); n != 2 {
		t.Errorf("%d calls answered, want 2 (out through the API, in from the concierge)", n)
	}
	token := sha256.Sum256([]byte(apiToken))
	secrets := map[string][]string{
		"the SIP password":        secretForms("door", sipPassword, k.Domain()),
		"the caller's password":   secretForms("concierge", guestPassword, k.Domain(), "intercom"),
		"the guesser's password":  {wrongPassword},
		"the API token":           {apiToken, hex.EncodeToString(token[:]), base64.StdEncoding.EncodeToString(token[:])},
		"the MQTT password":       secretForms("intercom", mqttPassword),
		"the flat phone password": {flatPassword},
	}
	for name, text := range map[string]string{"station": log, "guesser": guesserLog, "caller": callerLog} {
		lower := strings.ToLower(text)
		for what, forms := range secrets {
			for _, s := range forms {
				if strings.Contains(lower, strings.ToLower(s)) {
					t.Errorf("%s is in the %s's log, as %q", what, name, s)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

// TestConfigKeepsSecretsOutOfMessages: a user and password in mqtt.broker
// move to mqtt.username and mqtt.password, so the URL the MQTT bridge and
// its library log (autopaho's "failed to connect to URL") carries none;
// the errors about the broker and http.token never quote a secret.
func TestConfigKeepsSecretsOutOfMessages(t *testing.T) {
	const secret = "Sekr1t-9x"
	for _, tc := range []struct {
		name, toml       string
		broker, user, pw string // after validation
		err              string // part of the error, "" for none
	}{
		{"in the URL", `broker = "mqtt://ha:` + secret + `@broker.lan:1883"`, "mqtt://broker.lan:1883", "ha", secret, ""},
		{"escaped", `broker = "mqtts://ha:Sekr1t%2D9x@broker.lan"`, "mqtts://broker.lan", "ha", secret, ""},
		{"apart", "broker = \"mqtt://broker.lan\"\nusername = \"ha\"\npassword = \"" + secret + "\"", "mqtt://broker.lan", "ha", secret, ""},
		{"both", "broker = \"mqtt://ha:" + secret + "@broker.lan\"\nusername = \"ha\"", "", "", "", `mqtt.broker: "mqtt://ha:xxxxx@broker.lan": give the user`},
		{"bad scheme", `broker = "http://ha:` + secret + `@broker.lan"`, "", "", "", `"http://ha:xxxxx@broker.lan": the scheme must be mqtt or mqtts`},
		{"no URL", `broker = "mqtt://ha:` + secret + `@bro ker:x"`, "", "", "", "mqtt.broker: not a URL such as mqtt://host:1883"},
		{"token", "broker = \"mqtt://broker.lan\"\n[http]\ntoken = \"" + secret + " x\"", "", "", "", "http.token: must not contain white space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig("intercom.toml", []byte("[sip]\nuser = \"door\"\n[mqtt]\n"+tc.toml+"\n"))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m := cfg.MQTT; m.Broker != tc.broker || m.Username != tc.user || m.Password != tc.pw {
				t.Errorf("broker %q, user %q, password %q; want %q, %q, %q", m.Broker, m.Username, m.Password, tc.broker, tc.user, tc.pw)
			}
		})
	}
}
