package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"intercom/sipua/message"
)

// doc joins lines into a TOML document, so that tests can count lines.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// dur returns a Duration of d.
func dur(d time.Duration) Duration { return Duration{Duration: d} }

// comparable returns c without the values parsed from its patterns and
// files, which tests check apart.
func comparable(c *Config) Config {
	out := *c
	out.SIP.rootCAs, out.SIP.cert = nil, nil
	out.Answer.uris, out.Answer.nets = nil, nil
	return out
}

func TestLoadConfigFull(t *testing.T) {
	got, err := loadConfig("testdata/config/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		SIP: SIP{
			Listen:          "0.0.0.0:5060",
			Transport:       "udp",
			User:            "door",
			Domain:          "pbx.example.org",
			Password:        "s3cret",
			RegisterExpires: dur(600 * time.Second),
			Keepalive:       dur(25 * time.Second),
			SessionExpires:  dur(1800 * time.Second),
			RingTimeout:     dur(60 * time.Second),
			RTPPorts:        "30000-30099",
			SRTP:            "off",
		},
		Audio: Audio{
			Source:     "alsa:hw:CARD=Device,DEV=0",
			Sink:       "alsa:hw:CARD=Device,DEV=0",
			Codecs:     []string{"G722", "PCMU", "PCMA"},
			EchoCancel: true,
			Country:    "eu",
		},
		Board: Board{Kind: "auto"},
		Buttons: []Button{{
			Name:        "flat1",
			Pin:         "GPIO17",
			Targets:     []string{"sip:flat1@pbx.example.org"},
			Ring:        "parallel",
			RingTimeout: dur(30 * time.Second),
		}},
		Door:   Door{RelayPin: "GPIO27", Pulse: dur(3 * time.Second), Codes: []string{"1#"}, HeldOpen: dur(2 * time.Minute)},
		MQTT:   MQTT{Discovery: true},
		Answer: Answer{Allow: []string{"sip:*@pbx.example.org", "192.168.1.0/24"}, Code: 403},
		HTTP:   HTTP{Listen: "127.0.0.1:8080"},
	}
	if !reflect.DeepEqual(comparable(got), want) {
		t.Errorf("got\n%+v\nwant\n%+v", comparable(got), want)
	}
	if len(got.Answer.uris) != 1 || len(got.Answer.nets) != 1 {
		t.Errorf("answer patterns: %d URIs, %d prefixes; want 1 and 1", len(got.Answer.uris), len(got.Answer.nets))
	}
	if lo, hi := got.SIP.RTPPortRange(); lo != 30000 || hi != 30099 {
		t.Errorf("RTPPortRange() = %d, %d; want 30000, 30099", lo, hi)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		edit func(*Config) // turns the defaults into the config wanted
	}{
		{"minimal", doc(`[sip]`, `user = "door"`), func(c *Config) {}},
		{"dotted keys", doc(`sip.user = "door"`), func(c *Config) {}},
		{
			"button defaults",
			doc(`[sip]`, `user = "door"`, `[[button]]`, `name = "a"`, `pin = "GPIO5"`, `targets = ["sip:a@example.org"]`),
			func(c *Config) {
				c.Buttons = []Button{{Name: "a", Pin: "GPIO5", Targets: []string{"sip:a@example.org"},
					Ring: "parallel", RingTimeout: dur(30 * time.Second)}}
			},
		},
		{
			"inline buttons, zero durations",
			doc(`button = [{name = "a", pin = "GPIO5", targets = ["sip:a@example.org"], ring = "sequential", ring_timeout = "1m"}]`,
				`[sip]`, `user = "door"`, `keepalive = "0s"`, `max_call_duration = "2h"`),
			func(c *Config) {
				c.Buttons = []Button{{Name: "a", Pin: "GPIO5", Targets: []string{"sip:a@example.org"},
					Ring: "sequential", RingTimeout: dur(time.Minute)}}
				c.SIP.Keepalive = dur(0)
				c.SIP.MaxCallDuration = dur(2 * time.Hour)
			},
		},
		{
			"every other key",
			doc(`[sip]`, `user = "door"`, `auth_user = "1001"`, `transport = "tcp"`, `listen = "[::1]:5070"`,
				`outbound_proxy = "sip:proxy.example.org;lr"`, `dns_server = "192.0.2.53"`, `register_expires = "1h"`,
				`session_expires = "90s"`, `ring_timeout = "20s"`, `rtp_ports = "1024-1025"`,
				`[audio]`, `source = "null"`, `sink = "oto"`, `codecs = ["PCMA"]`,
				`[board]`, `kind = "sim"`,
				`[answer]`, `auto = true`, `delay = "2s"`, `allow = ["::1"]`, `code = 486`,
				`[http]`, `listen = "0.0.0.0:8080"`, `token = "t0k3n"`),
			func(c *Config) {
				c.SIP.AuthUser, c.SIP.Transport, c.SIP.Listen = "1001", "tcp", "[::1]:5070"
				c.SIP.OutboundProxy, c.SIP.DNSServer = "sip:proxy.example.org;lr", "192.0.2.53"
				c.SIP.RegisterExpires, c.SIP.SessionExpires, c.SIP.RingTimeout = dur(time.Hour), dur(90*time.Second), dur(20*time.Second)
				c.SIP.RTPPorts = "1024-1025"
				c.Audio.Source, c.Audio.Sink, c.Audio.Codecs = "null", "oto", []string{"PCMA"}
				c.Board.Kind = "sim"
				c.Answer = Answer{Auto: true, Delay: dur(2 * time.Second), Allow: []string{"::1"}, Code: 486}
				c.HTTP = HTTP{Listen: "0.0.0.0:8080", Token: "t0k3n"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("intercom.toml", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			want := defaultConfig()
			want.SIP.User = "door"
			tt.edit(&want)
			if !reflect.DeepEqual(comparable(got), want) {
				t.Errorf("got\n%+v\nwant\n%+v", comparable(got), want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the whole error text
	}{
		{"syntax", doc(`[sip]`, `user = "door`), `intercom.toml:2: basic strings cannot have new lines`},
		{"duplicate key", doc(`[sip]`, `user = "a"`, `user = "b"`), `intercom.toml:3: key user is already defined`},
		{
			"unknown keys and tables",
			doc(`[sip]`, `user = "door"`, `lisen = "0.0.0.0:5060"`, `[[button]]`, `x.y = 1`, `[sound]`),
			doc(`intercom.toml:3: unknown key "sip.lisen"`, `intercom.toml:4: button.name: must be set`,
				`intercom.toml:4: button.pin: must be set`, `intercom.toml:4: button.targets: name at least one SIP URI to call`,
				`intercom.toml:5: unknown key "button.x.y"`, `intercom.toml:6: unknown table "sound"`),
		},
		{"wrong type", doc(`[sip]`, `user = 7`), `intercom.toml:2: sip.user: want a string, not an integer`},
		{"wrong element type", doc(`[audio]`, `codecs = [`, `  "G722",`, `  7,`, `]`), `intercom.toml:4: audio.codecs: want an array of strings, not an integer`},
		{"table for a string", doc(`[sip.user]`), `intercom.toml:1: sip.user: cannot store a table in a string`},
		{"missing user", doc(`[sip]`, `domain = "example.org"`), `intercom.toml:1: sip.user: must be set`},
		{"missing sip table", doc(`[board]`, `kind = "sim"`), `intercom.toml: sip.user: must be set`},
		{"transport", doc(`[sip]`, `user = "door"`, `transport = "udpx"`), `intercom.toml:3: sip.transport: "udpx" is not one of udp, tcp, tls`},
		{
			"durations",
			doc(`[sip]`, `user = "door"`, `keepalive = 25`, `register_expires = "10 min"`, `session_expires = "60s"`,
				`max_call_duration = "-1s"`, `ring_timeout = true`, `[door]`, `relay_pin = "GPIO27"`, `pulse = "0s"`),
			doc(`intercom.toml:3: sip.keepalive: want a duration string such as "30s", not an integer`,
				`intercom.toml:4: sip.register_expires: "10 min" is not a duration such as "30s" or "1m30s"`,
				`intercom.toml:5: sip.session_expires: 1m0s is less than 1m30s`,
				`intercom.toml:6: sip.max_call_duration: -1s is negative`,
				`intercom.toml:7: sip.ring_timeout: want a duration string such as "30s", not a boolean`,
				`intercom.toml:10: door.pulse: 0s is less than 1ms`),
		},
		{
			"addresses",
			doc(`[sip]`, `user = "door"`, `listen = "pbx.local:5060"`, `dns_server = "ns.example.org"`,
				`[http]`, `listen = "127.0.0.1"`),
			doc(`intercom.toml:3: sip.listen: "pbx.local:5060": the host must be an IP address`,
				`intercom.toml:4: sip.dns_server: "ns.example.org" is not "ip:port" or an IP address`,
				`intercom.toml:6: http.listen: "127.0.0.1" is not "ip:port" or ":port"`),
		},
		{"port", doc(`[sip]`, `user = "door"`, `listen = ":sip"`), `intercom.toml:3: sip.listen: ":sip": the port must be a number from 0 to 65535`},
		{"token", doc(`sip.user = "door"`, `http.listen = ":8080"`), `intercom.toml:2: http.listen: ":8080" is not a loopback address, so http.token must be set`},
		{
			"user and domain",
			doc(`[sip]`, `user = "door@home"`, `domain = "pbx.example.org;transport=tcp"`, `outbound_proxy = "pbx.example.org"`),
			doc(`intercom.toml:2: sip.user: "door@home" is not a SIP user part`,
				`intercom.toml:3: sip.domain: "pbx.example.org;transport=tcp" is not a host name or IP address, with an optional port`,
				`intercom.toml:4: sip.outbound_proxy: "pbx.example.org" is not a SIP URI: URI without a valid scheme`),
		},
		{"rtp_ports syntax", doc(`sip.user = "door"`, `sip.rtp_ports = "30000:30099"`), `intercom.toml:2: sip.rtp_ports: "30000:30099": want "A-B", such as "30000-30099"`},
		{"rtp_ports low", doc(`sip.user = "door"`, `sip.rtp_ports = "1000-1099"`), `intercom.toml:2: sip.rtp_ports: "1000-1099": the ports must be from 1024 to 65535`},
		{"rtp_ports odd", doc(`sip.user = "door"`, `sip.rtp_ports = "30001-30099"`), `intercom.toml:2: sip.rtp_ports: "30001-30099": the first port must be even`},
		{"rtp_ports one", doc(`sip.user = "door"`, `sip.rtp_ports = "30000-30000"`), `intercom.toml:2: sip.rtp_ports: "30000-30000": the range must hold at least 2 ports`},
		{"tls pair", doc(`[sip]`, `user = "door"`, `transport = "tls"`, `tls_key = "key.pem"`), `intercom.toml:4: sip.tls_key: set both sip.tls_cert and sip.tls_key, or neither`},
		{"tls without tls", doc(`[sip]`, `user = "door"`, `tls_cert = "c.pem"`, `tls_key = "k.pem"`), `intercom.toml:3: sip.tls_cert: only a TLS listener uses it, and sip.transport is "udp"`},
		{
			"audio",
			doc(`sip.user = "door"`, `[audio]`, `source = "oto"`, `sink = "pulse"`, `codecs = ["PCMU", "opus", "PCMU"]`),
			doc(`intercom.toml:3: audio.source: "oto" is not one of alsa:DEVICE, wav:FILE, null`,
				`intercom.toml:4: audio.sink: "pulse" is not one of alsa:DEVICE, oto, wav:FILE, null`,
				`intercom.toml:5: audio.codecs: "opus" is not one of G722, PCMU, PCMA`,
				`intercom.toml:5: audio.codecs: "PCMU" is listed twice`),
		},
		{"no codecs", doc(`sip.user = "door"`, `audio.codecs = []`), `intercom.toml:2: audio.codecs: name at least one codec of G722, PCMU, PCMA`},
		{"wav source", doc(`sip.user = "door"`, `audio.source = "wav:testdata/config/none.wav"`), `intercom.toml:2: audio.source: stat testdata/config/none.wav: no such file or directory`},
		{"board", doc(`sip.user = "door"`, `board.kind = "rpi2"`), `intercom.toml:2: board.kind: "rpi2" is not one of auto, rpi3, rpi4, rpi5, rpizero2w, generic, sim`},
		{
			"buttons",
			doc(`sip.user = "door"`,
				`[[button]]`, `name = "flat1"`, `pin = "GPIO17"`, `targets = ["sip:flat1@example.org"]`,
				`[[button]]`, `name = "flat1"`, `pin = "GPIO18"`, `targets = [`, `  "sip:ok@example.org",`, `  "tel:+4930123",`, `  "sip:two words@example.org",`, `]`,
				`ring = "round-robin"`, `ring_timeout = "0s"`,
				`[[button]]`, `name = ""`, `pin = "GPIO19"`, `targets = []`),
			doc(`intercom.toml:7: button.name: "flat1" is already the name of the button at line 3`,
				`intercom.toml:11: button.targets: "tel:+4930123" is not a SIP URI: not a sip: or sips: URI`,
				`intercom.toml:12: button.targets: "sip:two words@example.org" is not a SIP URI: invalid URI user part`,
				`intercom.toml:14: button.ring: "round-robin" is not one of parallel, sequential`,
				`intercom.toml:15: button.ring_timeout: 0s is less than 1s`,
				`intercom.toml:17: button.name: must be set`,
				`intercom.toml:19: button.targets: name at least one SIP URI to call`),
		},
		{
			"inline buttons",
			doc(`sip.user = "door"`, `button = [`, `  {name = "a", pin = "GPIO5", targets = ["sip:a@example.org"]},`,
				`  {name = "b", pin = "GPIO6", targets = ["sip:b@example.org"], ring = "all"},`, `]`),
			`intercom.toml:4: button.ring: "all" is not one of parallel, sequential`,
		},
		{
			"door",
			doc(`sip.user = "door"`, `[door]`, `codes = ["1234#", "12a4", ""]`),
			doc(`intercom.toml:3: door.codes: "12a4" is not a code of 0-9, * and #`,
				`intercom.toml:3: door.codes: "" is not a code of 0-9, * and #`,
				`intercom.toml:3: door.codes: set door.relay_pin too, or the codes open nothing`),
		},
		{
			"answer",
			doc(`sip.user = "door"`, `[answer]`, `allow = [`, `  "sip:*@example.org",`, `  "10.0.0.0/33",`, `  "sip:*@",`, `]`, `code = 200`, `delay = "-2s"`),
			doc(`intercom.toml:5: answer.allow: "10.0.0.0/33" is not a SIP URI, an IP address or a CIDR prefix`,
				`intercom.toml:6: answer.allow: "sip:*@" is not a SIP URI: missing host`,
				`intercom.toml:8: answer.code: 200 is not a 4xx, 5xx or 6xx response code`,
				`intercom.toml:9: answer.delay: -2s is negative`),
		},
		{
			"digest algorithms",
			doc(`sip.user = "door"`, `[answer]`, `digest_algorithms = ["MD5", "SHA-256-sess", "RC4"]`),
			doc(`intercom.toml:3: answer.digest_algorithms: "SHA-256-sess": want SHA-256, MD5 or SHA-512-256`,
				`intercom.toml:3: answer.digest_algorithms: "RC4": want SHA-256, MD5 or SHA-512-256`),
		},
		{"auto without allow", doc(`sip.user = "door"`, `[answer]`, `auto = true`), `intercom.toml:3: answer.auto: answers nothing while answer.allow is empty`},
		{"code type", doc(`sip.user = "door"`, `answer.code = "403"`), `intercom.toml:2: answer.code: want an integer, not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig("intercom.toml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if got, want := err.Error(), strings.TrimSuffix(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"lf.pass": "s3cret\n", "crlf.pass": "s3cret\r\n", "bare.pass": "s3cret", "empty.pass": "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		file    string // password_file
		wantErr string // "" for none
	}{
		{"lf.pass", ""},
		{"crlf.pass", ""},
		{filepath.Join(dir, "bare.pass"), ""},
		{"empty.pass", "sip.password_file: " + filepath.Join(dir, "empty.pass") + " is empty"},
		{"none.pass", "sip.password_file: stat " + filepath.Join(dir, "none.pass") + ": no such file or directory"},
		{".", "sip.password_file: " + dir + " is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			name := filepath.Join(dir, "intercom.toml")
			c, err := parseConfig(name, []byte(doc(`[sip]`, `user = "door"`, `password_file = "`+tt.file+`"`)))
			if tt.wantErr != "" {
				if want := name + ":3: " + tt.wantErr; err == nil || err.Error() != want {
					t.Errorf("error %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.SIP.Password != "s3cret" {
				t.Errorf("password %q, want s3cret", c.SIP.Password)
			}
			if !filepath.IsAbs(c.SIP.PasswordFile) {
				t.Errorf("password_file %q not resolved against %s", c.SIP.PasswordFile, dir)
			}
		})
	}
	_, err := parseConfig("intercom.toml", []byte(doc(`[sip]`, `user = "door"`, `password = "x"`, `password_file = "lf.pass"`)))
	if want := "intercom.toml:4: sip.password_file: set sip.password or sip.password_file, not both"; err == nil || err.Error() != want {
		t.Errorf("password and password_file: error %v, want %s", err, want)
	}
}

// writeCert writes a self-signed certificate and its key as PEM files in dir
// and returns their names.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "door.example.org"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir)
	name := filepath.Join(dir, "intercom.toml")
	c, err := parseConfig(name, []byte(doc(`[sip]`, `user = "door"`, `transport = "tls"`,
		`ca_file = "cert.pem"`, `tls_cert = "cert.pem"`, `tls_key = "key.pem"`)))
	if err != nil {
		t.Fatal(err)
	}
	if c.SIP.RootCAs() == nil || c.SIP.Certificate() == nil {
		t.Errorf("RootCAs() = %v, Certificate() = %v; want both set", c.SIP.RootCAs(), c.SIP.Certificate())
	}
	if c.SIP.TLSKey != filepath.Join(dir, "key.pem") {
		t.Errorf("tls_key %q, want it resolved against %s", c.SIP.TLSKey, dir)
	}

	_, err = parseConfig(name, []byte(doc(`[sip]`, `user = "door"`, `transport = "tls"`,
		`ca_file = "key.pem"`, `tls_cert = "key.pem"`, `tls_key = "cert.pem"`)))
	if err == nil {
		t.Fatal("no error for swapped PEM files")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 ||
		lines[0] != name+":4: sip.ca_file: "+filepath.Join(dir, "key.pem")+" holds no PEM certificate" ||
		!strings.HasPrefix(lines[1], name+":5: sip.tls_cert: ") {
		t.Errorf("error:\n%v", err)
	}
}

func TestAnswerAllows(t *testing.T) {
	c, err := parseConfig("intercom.toml", []byte(doc(`sip.user = "door"`, `[answer]`,
		`allow = ["sip:*@pbx.example.org", "sip:flat*-phone@Home.example.org:5070", "sip:lobby.example.org", "192.168.1.0/24", "2001:db8::7"]`)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from string // "" for no URI
		src  string
		want bool
	}{
		{"sip:alice@pbx.example.org", "203.0.113.1", true},
		{"sips:alice@PBX.example.org", "203.0.113.1", true},
		{"sip:alice@pbx.example.com", "203.0.113.1", false},
		{"sip:flat12-phone@home.example.org:5070", "203.0.113.1", true},
		{"sip:flat-phone@home.example.org:5070", "203.0.113.1", true},
		{"sip:flat12-phone@home.example.org", "203.0.113.1", false},
		{"sip:flat12@home.example.org:5070", "203.0.113.1", false},
		{"sip:anyone@lobby.example.org", "203.0.113.1", true},
		{"sip:mallory@evil.example", "192.168.1.44", true},
		{"", "::ffff:192.168.1.44", true},
		{"", "2001:db8::7", true},
		{"", "2001:db8::8", false},
		{"sip:mallory@evil.example", "192.168.2.44", false},
	}
	for _, tt := range tests {
		var from *message.URI
		if tt.from != "" {
			u, err := message.ParseURI([]byte(tt.from))
			if err != nil {
				t.Fatal(err)
			}
			from = &u
		}
		if got := c.Answer.Allows(from, netip.MustParseAddr(tt.src)); got != tt.want {
			t.Errorf("Allows(%q, %s) = %v, want %v", tt.from, tt.src, got, tt.want)
		}
	}
	var none Answer
	if none.Allows(nil, netip.MustParseAddr("127.0.0.1")) {
		t.Error("an empty allow list allows a call")
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "abc", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abc", true},
		{"a*b*c", "abxbyc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
	}
	for _, tt := range tests {
		if got := matchGlob([]byte(tt.pattern), []byte(tt.s)); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte(doc(`[sip]`, `transport = "udpx"`, `lisen = ":5060"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		code       int
		stdout     string
		stderrPart string
	}{
		{[]string{"testdata/config/full.toml"}, 0, "testdata/config/full.toml: ok\n", ""},
		{[]string{bad}, 1, "", bad + ":1: sip.user: must be set\n" + bad + ":2: sip.transport: \"udpx\" is not one of udp, tcp, tls\n" + bad + ":3: unknown key \"sip.lisen\"\n"},
		{[]string{"testdata/config/none.toml"}, 1, "", "open testdata/config/none.toml: no such file or directory\n"},
		{nil, 2, "", "usage: intercom check-config FILE"},
		{[]string{"a.toml", "b.toml"}, 2, "", "usage: intercom check-config FILE"},
		{[]string{"-x"}, 2, "", "flag provided but not defined: -x"},
		{[]string{"-h"}, 0, "", "usage: intercom check-config FILE"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := checkConfig(tt.args, &stdout, &stderr)
		if code != tt.code || stdout.String() != tt.stdout || !strings.Contains(stderr.String(), tt.stderrPart) {
			t.Errorf("check-config %q: status %d, stdout %q, stderr %q; want %d, %q, stderr with %q",
				tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderrPart)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	full, err := os.ReadFile("testdata/config/full.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	for _, s := range []string{
		doc(`sip.user = "door"`),
		doc(`button = [{name = "a", targets = ["sip:a@b"]}, {name = "a"}]`, `[[button.x]]`, `[button.y]`),
		doc(`[sip]`, `keepalive = 5`, `session_expires = "1s"`, `password_file = "."`, `[answer]`, `allow = ["sip:*@*", "::1/129"]`),
		doc(`a."b.c"[0] = 1`, `[[x]]`, `[x.y]`, `[[x]]`, `z = [[1], [{a = 1}]]`),
	} {
		f.Add([]byte(s))
	}
	name := filepath.Join(f.TempDir(), "fuzz.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig(name, data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, name+":") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if lo, hi := c.SIP.RTPPortRange(); lo < 1024 || hi <= lo {
			t.Fatalf("valid config with RTP ports %d-%d", lo, hi)
		}
	})
}

// TestExampleConfig: the commented example in the repository is a valid
// config, with its password from the environment.
func TestExampleConfig(t *testing.T) {
	t.Setenv("INTERCOM_SIP_PASSWORD", "from-env")
	cfg, err := loadConfig("../../intercom.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIP.Password != "from-env" || len(cfg.Buttons) != 1 || cfg.Door.RelayPin != "GPIO27" {
		t.Errorf("example read as %+v", cfg.SIP)
	}
	t.Setenv("INTERCOM_SIP_PASSWORD", "")
	if _, err := loadConfig("../../intercom.example.toml"); err == nil || !strings.Contains(err.Error(), "sip.password_env") {
		t.Errorf("unset password variable: %v", err)
	}
}
