package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("version exit status = %d, want 0; stderr %q", code, errOut.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "intercom "+version+" (commit "+commit) {
		t.Errorf("version output = %q", got)
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 {
		t.Fatalf("exit status = %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr = %q, want it to name the unknown command", errOut.String())
	}
}

func TestRunNoArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 2 {
		t.Fatalf("exit status = %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "Usage:") {
		t.Errorf("stderr = %q, want usage", errOut.String())
	}
}

// TestDevices: "intercom devices" lists the backends built in and, on a
// machine without sound cards, says so instead of failing.
func TestDevices(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"devices"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "backends: alsa, null, wav\n") {
		t.Errorf("output %q", out.String())
	}
	if code := run([]string{"devices", "extra"}, &out, &errOut); code != 2 {
		t.Errorf("devices with an argument: exit %d, want 2", code)
	}
}

// TestDemo: "intercom demo" runs on a machine with no hardware and no
// server: the simulated station calls the demo's phone, the door opens,
// and it says so.
func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"demo"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"button_pressed", "call_answered", "digit=# source=rfc4733", "door_opened", "call_ended",
		"summary: answered true, door opened true"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the demo's output:\n%s", want, out.String())
		}
	}
}
