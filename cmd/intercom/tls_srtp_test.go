package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua"
	"intercom/sipua/media"
)

// startConfigured runs the station of a config file's text (loadConfig, then
// serve, as "intercom run" does) until the test ends, with a JSON debug
// log; it returns the user agent once it runs, and the log.
func startConfigured(t *testing.T, text string) (*sipua.UA, *peertest.Buffer) {
	t.Helper()
	cfg, err := loadConfig(writeConfig(t, text))
	if err != nil {
		t.Fatal(err)
	}
	logs := new(peertest.Buffer)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *sipua.UA, 1)
	done := make(chan int, 1)
	go func() { done <- serve(ctx, cfg, log, logs, func(ua *sipua.UA, _ *station) { ready <- ua }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the station did not stop within 10 s")
		}
		if t.Failed() {
			t.Logf("station log:\n%s", logs.String())
		}
	})
	select {
	case ua := <-ready:
		return ua, logs
	case code := <-done:
		t.Fatalf("the station ended with status %d:\n%s", code, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the station did not start:\n%s", logs.String())
	}
	return nil, nil
}

// testPKI writes to dir a CA (ca.pem), a certificate for 127.0.0.1 it
// signed (cert.pem, key.pem), and another CA that signed nothing here
// (other-ca.pem).
func testPKI(t *testing.T, dir string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	ca := func(name string, key *ecdsa.PrivateKey) *x509.Certificate {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		write(name+".pem", "CERTIFICATE", der)
		return cert
	}
	caKey := newKey()
	caCert := ca("ca", caKey)
	ca("other-ca", newKey())
	leafKey := newKey()
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "door.test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write("cert.pem", "CERTIFICATE", der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	write("key.pem", "PRIVATE KEY", keyDER)
}

// TestTLSThroughConfig: a station with sip.transport "tls" and a
// certificate (sip.tls_cert, sip.tls_key) signed by a test CA takes calls
// over TLS. "intercom call" over TLS reaches it when its sip.ca_file holds
// that CA; with another CA in ca_file the certificate does not verify, the
// call fails before any SIP is sent, and the command says why. The
// private key file must not show in any log.
func TestTLSThroughConfig(t *testing.T) {
	dir := t.TempDir()
	testPKI(t, dir)
	port := peertest.FreePort(t, "tcp")
	ua, logs := startConfigured(t, fmt.Sprintf(`[sip]
listen = "127.0.0.1:%d"
transport = "tls"
user = "door"
tls_cert = %q
tls_key = %q
[audio]
source = "null"
sink = "null"
[answer]
auto = true
allow = ["127.0.0.1/32"]
`, port, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	if got := ua.Addr().Transport; !strings.EqualFold(got, "tls") {
		t.Fatalf("the station listens on %s, want TLS", got)
	}
	target := fmt.Sprintf("sip:door@127.0.0.1:%d;transport=tls", port)
	// The caller has no certificate: a TLS station without one only
	// connects out.
	call := func(caFile string) (int, string, string) {
		cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\ntransport = \"tls\"\nuser = \"flat\"\nca_file = %q\n"+
			"[audio]\nsource = \"null\"\nsink = \"null\"\n", caFile))
		var out, errOut peertest.Buffer
		code := run([]string{"call", "--config", cfg, "--hangup-after", "500ms", target}, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := call(filepath.Join(dir, "other-ca.pem"))
	if code == 0 || strings.Contains(out, `"answered":true`) {
		t.Errorf("a call to a certificate another CA signed: exit %d, %s", code, out)
	}
	if !strings.Contains(errOut+out, "certificate signed by unknown authority") {
		t.Errorf("the failed call does not say the certificate did not verify:\nstdout: %s\nstderr: %s", out, errOut)
	}
	if strings.Contains(logs.String(), `"event":"call_started"`) {
		t.Errorf("the station saw a call over an unverified connection")
	}
	t.Logf("with the wrong CA: exit %d:\n%s", code, errOut)

	code, out, errOut = call(filepath.Join(dir, "ca.pem"))
	if code != 0 || !strings.Contains(out, `"answered":true`) {
		t.Errorf("a call with the right CA: exit %d, %s\n%s", code, out, errOut)
	}
	waitLog(t, logs, `"event":"call_ended"`)
	key, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	body := strings.Join(strings.Split(string(key), "\n")[1:3], "")
	if strings.Contains(logs.String()+errOut, body[:40]) {
		t.Error("the TLS private key is in a log")
	}
}

// TestSRTPThroughConfig: sip.srtp "mandatory" refuses a plain RTP offer
// (sipp's) with 488 and logs why, and takes baresip's SDES offer
// (RTP/SAVP, mediaenc srtp-mand), with SRTP keys in the call; "optional"
// takes both. The keys never reach the log.
func TestSRTPThroughConfig(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		plainOK bool
	}{
		{"mandatory", false},
		{"optional", true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			port := peertest.FreePort(t, "udp")
			ua, logs := startConfigured(t, fmt.Sprintf(`[sip]
listen = "127.0.0.1:%d"
user = "door"
srtp = %q
[audio]
source = "null"
sink = "null"
[answer]
auto = true
allow = ["127.0.0.1/32"]
`, port, tc.mode))
			station := fmt.Sprintf("127.0.0.1:%d", port)

			sipp := peertest.StartSipp(t, "uac", "-s", "door", "-d", "200", station)
			err := sipp.Wait(t)
			msgs, _ := os.ReadFile(filepath.Join(sipp.Dir, "sipp.log"))
			if tc.plainOK {
				if err != nil {
					t.Errorf("plain RTP offer: sipp: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(string(msgs), "SIP/2.0 488") {
					t.Errorf("plain RTP offer: sipp %v, want a 488", err)
				}
				waitLog(t, logs, `"msg":"incoming call refused: media not acceptable"`)
			}
			ended := strings.Count(logs.String(), `"event":"call_ended"`)

			phone := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat", MediaEnc: "srtp-mand"})
			if err := phone.Dial("sip:door@" + station); err != nil {
				t.Fatal(err)
			}
			phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
			var srtp bool
			for _, c := range ua.Calls() {
				if m, ok := c.Media().(*media.Call); ok {
					neg, _ := m.SDP().Negotiated()
					srtp = neg.SRTP != nil
				}
			}
			if !srtp {
				t.Error("baresip's RTP/SAVP call has no SRTP keys")
			}
			if err := phone.Hangup(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 200 && strings.Count(logs.String(), `"event":"call_ended"`) == ended; i++ {
				time.Sleep(50 * time.Millisecond)
			}
			if strings.Contains(logs.String(), "inline:") {
				t.Error("an SDES key (a=crypto ... inline:) is in the log")
			}
		})
	}
}

// TestAllowThroughConfig: [answer] allow as the config writes it. A caller
// whose From URI matches a pattern (exactly, or with "*" in the user part)
// is answered, as is one sending from an allowed network; others get
// answer.code (403 by default). With answer.users, even an allowed From
// is challenged first. TestRunCommand covers a /32 allowed and another
// network refused through "intercom run".
func TestAllowThroughConfig(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		answered     bool
		want         string // in sipp's messages, for a refused call
	}{
		{"uri", `allow = ["sip:sipp@127.0.0.1"]`, true, ""},
		{"uri glob", `allow = ["sip:si*@127.0.0.1", "192.0.2.0/24"]`, true, ""},
		{"network", `allow = ["127.0.0.0/8"]`, true, ""},
		{"other uri", `allow = ["sip:flat*@127.0.0.1", "sip:sipp@192.0.2.1"]`, false, "SIP/2.0 403 Forbidden"},
		{"other network, own code", "allow = [\"10.0.0.0/8\", \"sip:*@pbx.example.org\"]\ncode = 603", false, "SIP/2.0 603 Decline"},
		{"uri, with users", "allow = [\"sip:sipp@127.0.0.1\"]\nusers = { flat = \"Fl4t-pass\" }", false, "SIP/2.0 401 Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := peertest.FreePort(t, "udp")
			_, logs := startConfigured(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:%d\"\nuser = \"door\"\n"+
				"[audio]\nsource = \"null\"\nsink = \"null\"\n[answer]\nauto = true\n%s\n", port, tc.answer))
			sipp := peertest.StartSipp(t, "uac", "-s", "door", "-d", "200", fmt.Sprintf("127.0.0.1:%d", port))
			err := sipp.Wait(t)
			if (err == nil) != tc.answered {
				t.Errorf("sipp: %v; want answered %v", err, tc.answered)
			}
			if tc.answered {
				waitLog(t, logs, `"event":"call_ended"`)
				return
			}
			msgs, _ := os.ReadFile(filepath.Join(sipp.Dir, "sipp.log"))
			if !strings.Contains(string(msgs), tc.want) {
				t.Errorf("no %q in sipp's messages", tc.want)
			}
		})
	}
}
