package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"intercom/board"
	"intercom/sipua"
)

// recordingDialer records the targets the station rings, and places no
// call.
type recordingDialer struct {
	mu      sync.Mutex
	targets []string
}

func (d *recordingDialer) Dial(ctx context.Context, target string, _ sipua.DialOptions) (*sipua.Call, error) {
	d.mu.Lock()
	d.targets = append(d.targets, target)
	d.mu.Unlock()
	select { // as long as a call would take to fail
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	return nil, errors.New("no network in this test")
}

func (d *recordingDialer) rang() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.targets...)
}

// TestStationFromConfig: the [board], [[button]], [door] and [led] tables
// make a station on the simulated board whose relay starts safe, and
// whose button rings the configured targets with the LED blinking.
func TestStationFromConfig(t *testing.T) {
	cfg, err := parseConfig("intercom.toml", []byte(`
[sip]
user = "door"
[board]
kind = "sim"
[[button]]
name = "flat1"
pin = "GPIO17"
targets = ["sip:flat1@127.0.0.1", "sip:flat1-mobile@127.0.0.1"]
codes = ["4711#"]
[door]
relay_pin = "GPIO27"
contact_pin = "GPIO22"
tamper_pin = "P1-16"
codes = ["1#"]
[led]
pin = "GPIO5"
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStation(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), stationHooks{})
	if err != nil {
		t.Fatal(err)
	}
	sim := st.board.(*board.Sim)
	if len(st.buttons) != 1 || len(st.inputs) != 2 || st.led == nil || st.relay == nil {
		t.Fatalf("station has %d buttons, %d inputs, led %v, relay %v", len(st.buttons), len(st.inputs), st.led != nil, st.relay != nil)
	}
	if l, _ := sim.Level("GPIO27"); l != gpio.Low {
		t.Error("the relay does not start safe (off)")
	}
	d := &recordingDialer{}
	st.Attach(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { st.run(ctx); close(done) }()
	time.Sleep(200 * time.Millisecond) // the button's loop sets its pin up
	if err := sim.Set("GPIO17", gpio.Low); err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if err := sim.WaitLevel(wait, "GPIO5", gpio.High); err != nil {
		t.Errorf("the LED never blinked for the call: %v", err)
	}
	for range 100 {
		if len(d.rang()) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := d.rang(); len(got) != 2 || got[0] != "sip:flat1@127.0.0.1" {
		t.Errorf("rang %q, want both of flat1's targets", got)
	}
	cancel()
	<-done
}

// TestActiveHighButton: a button with active_high rings on a high level,
// and its idle (pulled-down) low level rings nothing.
func TestActiveHighButton(t *testing.T) {
	cfg, err := parseConfig("intercom.toml", []byte(`
[sip]
user = "door"
[board]
kind = "sim"
[[button]]
name = "gate"
pin = "GPIO18"
active_high = true
targets = ["sip:gate@127.0.0.1"]
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStation(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), stationHooks{})
	if err != nil {
		t.Fatal(err)
	}
	sim := st.board.(*board.Sim)
	d := &recordingDialer{}
	st.Attach(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { st.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(300 * time.Millisecond) // idle: the pull-down holds it low
	if got := d.rang(); len(got) != 0 {
		t.Fatalf("an idle active-high button rang %q", got)
	}
	if err := sim.Set("GPIO18", gpio.High); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if len(d.rang()) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := d.rang(); len(got) != 1 || got[0] != "sip:gate@127.0.0.1" {
		t.Errorf("rang %q after a high level, want the gate's target", got)
	}
}
