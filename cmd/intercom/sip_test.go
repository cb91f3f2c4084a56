package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/audio/wav"
	"intercom/internal/peertest"
	"intercom/sipua"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intercom.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCallCommand places a call with "intercom call" to sipp's UAS, which
// answers and echoes our RTP; the command hangs up after --hangup-after
// and prints the summary. sipp must have seen a whole call.
func TestCallCommand(t *testing.T) {
	sipp := peertest.StartSipp(t, "uas", "-rtp_echo") // sipp sends back the RTP it gets
	cfg := writeConfig(t, "[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"door\"\n[audio]\ncodecs = [\"PCMA\", \"PCMU\"]\n")
	var out, errOut peertest.Buffer
	code := run([]string{"call", "--config", cfg, "--hangup-after", "1s", fmt.Sprintf("sip:flat@127.0.0.1:%d", sipp.Port)}, &out, &errOut)
	if code != 0 {
		t.Errorf("exit status %d; stderr:\n%s", code, errOut.String())
	}
	var s callSummary
	if err := json.Unmarshal([]byte(out.String()), &s); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	// sipp's UAS answers PCMU only, which we offered second.
	if !s.Answered || s.Codec != "PCMU" || s.DurationS < 1 || s.Reason != "local hangup" {
		t.Errorf("summary %+v", s)
	}
	// 50 frames a second go out, and sipp's echo comes back.
	if s.RTPSent < 30 || s.RTPReceived < 20 {
		t.Errorf("RTP sent %d, received %d", s.RTPSent, s.RTPReceived)
	}
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp: %v", err)
	}
}

// TestRunCommand runs the station with "intercom run", auto-answering
// calls from 127.0.0.1; sipp's UAC calls it and hangs up. A second run
// allows only another network: sipp's call is refused with 403. SIGINT
// stops the station with status 0, and the JSON log has the events.
func TestRunCommand(t *testing.T) {
	for _, tc := range []struct {
		name, allow, extra string
		answered           bool
		logged             string // for a refused call
	}{
		{"allowed", "127.0.0.1/32", "", true, ""},
		{"refused", "192.0.2.0/24", "", false, `"code":403`},
		// sipp has no password: the station's Digest challenge stops it.
		{"challenged", "127.0.0.1/32", "users = { concierge = \"s3cret\" }\n", false, `"msg":"incoming call challenged"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := peertest.FreePort(t, "udp")
			cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:%d\"\nuser = \"door\"\n"+
				"[answer]\nauto = true\ndelay = \"100ms\"\nallow = [%q]\n%s", port, tc.allow, tc.extra))
			var out, logs peertest.Buffer
			status := make(chan int, 1)
			go func() {
				status <- run([]string{"run", "--config", cfg, "--log-format", "json"}, &out, &logs)
			}()
			waitLog(t, &logs, `"msg":"station started"`)
			sipp := peertest.StartSipp(t, "uac", "-s", "door", "-d", "200", fmt.Sprintf("127.0.0.1:%d", port))
			err := sipp.Wait(t)
			if (err == nil) != tc.answered {
				t.Errorf("sipp: %v; want success %v", err, tc.answered)
			}
			if tc.answered {
				waitLog(t, &logs, `"event":"call_ended"`)
				for _, ev := range []string{"call_started", "call_ringing", "call_answered"} {
					if !strings.Contains(logs.String(), `"event":"`+ev+`"`) {
						t.Errorf("no %s in the log", ev)
					}
				}
			} else {
				waitLog(t, &logs, tc.logged)
			}
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case code := <-status:
				if code != 0 {
					t.Errorf("exit status %d", code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not stop within 10 s of SIGINT")
			}
			if t.Failed() {
				t.Logf("log:\n%s", logs.String())
			}
		})
	}
}

// waitLog waits up to 10 s for text to appear in the log.
func waitLog(t *testing.T, logs *peertest.Buffer, text string) {
	t.Helper()
	for range 200 {
		if strings.Contains(logs.String(), text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s in the log within 10 s:\n%s", text, logs.String())
}

// TestCallCommandAudio: "intercom call" with a WAV file as microphone and
// another as speaker, to sipp's UAS echoing our RTP: the tone we send
// comes back through the network, the jitter buffer and the decoder, and
// is recorded at its frequency.
func TestCallCommandAudio(t *testing.T) {
	sipp := peertest.StartSipp(t, "uas", "-rtp_echo")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "mic.wav"), filepath.Join(dir, "speaker.wav")
	mic, err := wav.Create(in, 8000, wav.Options{})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for i := range 50 {
		for j := range frame {
			frame[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+j)/8000))
		}
		if err := mic.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := mic.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"door\"\n[audio]\ncodecs = [\"PCMU\"]\nsource = \"wav:%s\"\nsink = \"wav:%s\"\n", in, out))
	var stdout, stderr peertest.Buffer
	if code := run([]string{"call", "--config", cfg, "--hangup-after", "1500ms", fmt.Sprintf("sip:flat@127.0.0.1:%d", sipp.Port)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp: %v", err)
	}
	// The tone is at -15.3 dBFS RMS; the log's meters say so both ways.
	if !regexp.MustCompile(`msg="call audio levels" .*mic_rms_dbfs=-15\.\d .*speaker_rms_dbfs=-1[4-7]\.\d `).MatchString(stderr.String()) {
		t.Errorf("no levels of the tone in the log:\n%s", stderr.String())
	}
	rec, err := wav.Open(out, 8000, wav.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	loud, crossings, frames := 0, 0, 0
	for rec.ReadFrame(frame) == nil {
		frames++
		var sum float64
		for j, s := range frame {
			sum += float64(s) * float64(s)
			if j > 0 && (frame[j-1] < 0) != (s < 0) {
				crossings++
			}
		}
		if math.Sqrt(sum/160) > 3000 {
			loud++
		}
	}
	// 1 kHz crosses zero twice a millisecond: 40 times a 20 ms frame.
	if loud < 40 || frames == 0 || crossings/frames < 30 || crossings/frames > 50 {
		t.Errorf("recorded %d frames, %d with the tone, %d zero crossings a frame\n%s", frames, loud, crossings/max(frames, 1), stderr.String())
	}
}

// TestBusyTone: a callee that answers 486 Busy Here makes "intercom call"
// play the busy tone on the speaker (here a WAV file): 425 Hz in the
// European cadence, for a few seconds.
func TestBusyTone(t *testing.T) {
	callee, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "flat"},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnIncoming: func(c *sipua.Call) { _ = c.Reject(486) }})
	if err != nil {
		t.Fatal(err)
	}
	defer callee.Close()
	out := filepath.Join(t.TempDir(), "speaker.wav")
	cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"door\"\n[audio]\nsink = \"wav:%s\"\n", out))
	var stdout, stderr peertest.Buffer
	if code := run([]string{"call", "--config", cfg, "sip:flat@" + callee.Addr().AddrPort.String()}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1 for a call not answered\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"code":486`) {
		t.Errorf("summary %s", stdout.String())
	}
	rec, err := wav.Open(out, 8000, wav.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	frame := make([]int16, 160)
	tone := 0
	for rec.ReadFrame(frame) == nil {
		crossings := 0
		for j := 1; j < len(frame); j++ {
			if (frame[j-1] < 0) != (frame[j] < 0) {
				crossings++
			}
		}
		if crossings >= 15 && crossings <= 19 { // 425 Hz: 17 a frame
			tone++
		}
	}
	if tone < 40 { // half of 3 s
		t.Errorf("%d frames of 425 Hz tone, want the busy cadence", tone)
	}
}

// TestCallEndWarning: ten seconds before the longest call ends, three
// 1400 Hz pips play in the call; here they reach the speaker WAV.
func TestCallEndWarning(t *testing.T) {
	sipp := peertest.StartSipp(t, "uas")
	out := filepath.Join(t.TempDir(), "speaker.wav")
	cfg := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:0\"\nuser = \"door\"\nmax_call_duration = \"10300ms\"\n[audio]\nsink = \"wav:%s\"\n", out))
	var stdout, stderr peertest.Buffer
	if code := run([]string{"call", "--config", cfg, "--hangup-after", "1s", fmt.Sprintf("sip:flat@127.0.0.1:%d", sipp.Port)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp: %v", err)
	}
	rec, err := wav.Open(out, 8000, wav.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	frame := make([]int16, 160)
	pips := 0
	for rec.ReadFrame(frame) == nil {
		crossings := 0
		for j := 1; j < len(frame); j++ {
			if (frame[j-1] < 0) != (frame[j] < 0) {
				crossings++
			}
		}
		if crossings >= 50 && crossings <= 62 { // 1400 Hz: 56 a frame
			pips++
		}
	}
	if pips < 6 { // 3 pips of 100 ms
		t.Errorf("%d frames of the 1400 Hz warning, want the three pips", pips)
	}
}
