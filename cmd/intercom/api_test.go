package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"intercom/internal/httpapi"
	"intercom/internal/peertest"
)

// TestHTTPAPI runs the station on the simulated board with its HTTP API
// on loopback and drives it as a script would: the event stream, a press
// of the button through the API (sipp answers as the flat), the status
// with the call, the door opened through the API, the metrics.
func TestHTTPAPI(t *testing.T) {
	sippDone := peertest.StartSipp(t, "uas")
	sipPort := sippDone.Port
	apiPort := peertest.FreePort(t, "tcp")
	cfg := writeConfig(t, fmt.Sprintf(`
[sip]
listen = "127.0.0.1:0"
user = "door"
[board]
kind = "sim"
[[button]]
name = "flat1"
pin = "GPIO17"
targets = ["sip:flat@127.0.0.1:%d"]
[door]
relay_pin = "GPIO27"
pulse = "200ms"
[http]
listen = "127.0.0.1:%d"
`, sipPort, apiPort))
	var out, logs peertest.Buffer
	status := make(chan int, 1)
	go func() { status <- run([]string{"run", "--config", cfg, "--log-format", "json"}, &out, &logs) }()
	waitLog(t, &logs, `"msg":"station started"`)
	base := fmt.Sprintf("http://127.0.0.1:%d", apiPort)

	stream, err := http.Get(base + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		close(events)
	}()

	post := func(path string, want int) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	post("/api/v1/buttons/nobody/press", http.StatusNotFound)
	post("/api/v1/buttons/flat1/press", http.StatusNoContent)
	waitEvent(t, events, "call_answered")

	var st struct {
		Call *struct {
			State, Remote string
		} `json:"call"`
		Stats struct {
			ButtonPresses uint64 `json:"button_presses"`
		} `json:"stats"`
		Levels struct {
			Capture float64 `json:"capture_dbfs"`
		} `json:"levels"`
	}
	// The microphone is silent (no sound card here): -100 dBFS from the
	// call's meter, once its audio runs, rather than the -120 of no meter.
	for range 50 {
		resp, err := http.Get(base + "/api/v1/status")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Levels.Capture != httpapi.MinDBFS {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Call == nil || st.Call.State != "answered" || st.Stats.ButtonPresses != 1 {
		t.Errorf("status %+v", st)
	}
	if st.Levels.Capture != -100 {
		t.Errorf("capture level %v dBFS, want the call meter's silence", st.Levels.Capture)
	}
	post("/api/v1/door/open", http.StatusNoContent)
	waitEvent(t, events, "door_opened")

	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/calls/current", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("hang up: %d", resp.StatusCode)
	}
	waitEvent(t, events, "call_ended")

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"intercom_calls_total 1", "intercom_calls_answered_total 1", "intercom_door_opens_total 1"} {
		if !strings.Contains(string(metrics), want+"\n") {
			t.Errorf("no %q in the metrics:\n%s", want, metrics)
		}
	}
	if err := sippDone.Wait(t); err != nil {
		t.Errorf("sipp: %v", err)
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
		t.Fatal("run did not stop")
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs.String())
	}
}

// waitEvent waits up to 10 s for the named event on the stream.
func waitEvent(t *testing.T, events <-chan string, name string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended before %s", name)
			}
			if e == name {
				return
			}
		case <-timeout:
			t.Fatalf("no %s event within 10 s", name)
		}
	}
}
