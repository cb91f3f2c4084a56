package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"intercom/board"
	"intercom/device"
	"intercom/device/hw"
)

// station is the door station's hardware and behaviour as the config
// describes them: the board's pins, the buttons, the door relay and the
// behaviour that joins them to the user agent.
type station struct {
	*device.Station
	board   board.Board
	buttons []*hw.Button
	inputs  []*hw.Contact // door contact, tamper
	led     *hw.LED
	relay   *hw.Relay
	codes   *device.CodeLock
	events  *hw.Queue
}

// newStation opens the board and its peripherals. Without a usable board
// the station still answers and places calls, with no buttons or relay;
// the error says why.
// stationHooks are told what the station does: the call in which a code
// opened the door, each call it answered by itself, and every event.
type stationHooks struct {
	doorOpened, autoAnswered func(callID string)
	event                    func(device.Event)
}

func newStation(cfg *Config, log *slog.Logger, h stationHooks) (*station, error) {
	s := &station{events: hw.NewQueue(0)}
	sc := device.StationConfig{Buttons: map[string]device.ButtonTargets{}, Pulse: cfg.Door.Pulse.Duration,
		AutoAnswer: cfg.Answer.Auto, AnswerDelay: cfg.Answer.Delay.Duration, Log: log,
		HangupAfterOpen: cfg.Door.HangupAfter.Duration, OnDoorOpened: h.doorOpened, OnAutoAnswer: h.autoAnswered, OnEvent: h.event}
	for _, b := range cfg.Buttons {
		mode := device.Parallel
		if b.Ring == "sequential" {
			mode = device.Sequential
		}
		sc.Buttons[b.Name] = device.ButtonTargets{Targets: b.Targets, Mode: mode, RingTimeout: b.RingTimeout.Duration,
			Fallback: b.Fallback}
	}
	perTarget := map[string][]string{}
	for _, b := range cfg.Buttons {
		for _, t := range b.Targets {
			perTarget[t] = append(perTarget[t], b.Codes...)
		}
	}
	if len(cfg.Door.Codes) > 0 || len(perTarget) > 0 {
		codes, err := device.NewCodeLock(device.CodeLockConfig{Codes: cfg.Door.Codes, TargetCodes: perTarget})
		if err != nil {
			return nil, err
		}
		sc.Codes, s.codes = codes, codes
	}
	var err error
	if len(cfg.Buttons) > 0 || cfg.Door.RelayPin != "" || cfg.Door.ContactPin != "" || cfg.Door.TamperPin != "" || cfg.LED.Pin != "" {
		err = s.openHardware(cfg, &sc)
	}
	s.Station = device.NewStation(sc)
	return s, err
}

// openHardware opens the board, the buttons and the relay.
func (s *station) openHardware(cfg *Config, sc *device.StationConfig) error {
	b, err := board.Open(cfg.Board.Kind)
	if err != nil {
		return fmt.Errorf("board %s: %w", cfg.Board.Kind, err)
	}
	s.board = b
	for _, bc := range cfg.Buttons {
		pin, err := b.Pin(bc.Pin)
		if err != nil {
			return fmt.Errorf("button %s: %w", bc.Name, err)
		}
		btn, err := hw.NewButton(hw.ButtonConfig{Name: bc.Name, Pin: pin, ActiveHigh: bc.ActiveHigh, Sink: s.events})
		if err != nil {
			return fmt.Errorf("button %s: %w", bc.Name, err)
		}
		s.buttons = append(s.buttons, btn)
	}
	if cfg.Door.RelayPin != "" {
		pin, err := b.Pin(cfg.Door.RelayPin)
		if err != nil {
			return fmt.Errorf("door relay: %w", err)
		}
		if s.relay, err = hw.NewRelay(hw.RelayConfig{Name: "door", Pin: pin, Pulse: cfg.Door.Pulse.Duration}); err != nil {
			return fmt.Errorf("door relay: %w", err)
		}
		sc.Relay = s.relay
	}
	for _, in := range []struct {
		pin  string
		open func(hw.ContactConfig) (*hw.Contact, error)
		name string
	}{{cfg.Door.ContactPin, hw.NewDoor, "door"}, {cfg.Door.TamperPin, hw.NewTamper, "tamper"}} {
		if in.pin == "" {
			continue
		}
		pin, err := b.Pin(in.pin)
		if err != nil {
			return fmt.Errorf("%s input: %w", in.name, err)
		}
		c, err := in.open(hw.ContactConfig{Name: in.name, Pin: pin, HeldOpen: cfg.Door.HeldOpen.Duration, Sink: s.events})
		if err != nil {
			return fmt.Errorf("%s input: %w", in.name, err)
		}
		s.inputs = append(s.inputs, c)
	}
	if cfg.LED.Pin != "" {
		pin, err := b.Pin(cfg.LED.Pin)
		if err != nil {
			return fmt.Errorf("led: %w", err)
		}
		if s.led, err = hw.NewLED(hw.LEDConfig{Name: "status", Pin: pin, ActiveLow: cfg.LED.ActiveLow}); err != nil {
			return fmt.Errorf("led: %w", err)
		}
		sc.LED = s.led
	}
	return nil
}

// run runs the buttons and the behaviour until ctx ends, then makes the
// relay safe and closes the board.
func (s *station) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, b := range s.buttons {
		wg.Add(1)
		go func() { defer wg.Done(); defer hw.SafeOnPanic(); _ = b.Run(ctx) }()
	}
	for _, c := range s.inputs {
		wg.Add(1)
		go func() { defer wg.Done(); defer hw.SafeOnPanic(); _ = c.Run(ctx) }()
	}
	if s.led != nil {
		s.led.SetState(hw.LEDIdle)
		wg.Add(1)
		go func() { defer wg.Done(); defer hw.SafeOnPanic(); _ = s.led.Run(ctx) }()
	}
	s.Run(ctx, s.events)
	wg.Wait()
	if s.relay != nil {
		s.relay.Close()
	}
	if s.board != nil {
		s.board.Close()
	}
}
