package device

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"intercom/device/hw"
	"intercom/sipua"
)

// ButtonTargets is what a button does: whom it calls, and how.
type ButtonTargets struct {
	// Targets are the flat's phones, SIP URIs.
	Targets []string
	// Mode rings them all at once or in turn; RingTimeout bounds the
	// whole list (and each one, in turn, gets RingTimeout / len(Targets)).
	Mode        RingMode
	RingTimeout time.Duration
	// Fallback are rung, all at once, for another RingTimeout when no
	// target answered (a concierge, a neighbour, a mobile).
	Fallback []string
}

// StationConfig is the door station's behaviour.
type StationConfig struct {
	// Buttons maps a button's name to what it does.
	Buttons map[string]ButtonTargets
	// Relay opens the door; Pulse is how long (0: the relay's own default).
	Relay *hw.Relay
	Pulse time.Duration
	// Codes checks the DTMF codes that open the door; nil: no codes.
	Codes *CodeLock
	// HangupAfterOpen, if positive, ends the call this long after the door
	// opened by code.
	HangupAfterOpen time.Duration
	// AutoAnswer answers incoming calls the user agent's policy let ring,
	// after AnswerDelay, or sooner when the caller's Call-Info asks for
	// answer-after=N; otherwise they ring until the caller gives up.
	AutoAnswer  bool
	AnswerDelay time.Duration
	// OnDoorOpened, if set, is told the call in which a code opened the
	// door, to play the confirmation chime in it.
	OnDoorOpened func(callID string)
	// OnAutoAnswer, if set, is told each call the station answered by
	// itself, to beep in it.
	OnAutoAnswer func(callID string)
	// OnEvent, if set, receives every event the station logs with an
	// "event" name (button_pressed, door_opened, door_code_rejected,
	// door_held_open, tamper), for the HTTP and MQTT hooks; it must not
	// block.
	OnEvent func(Event)
	// LED shows the station's state; nil: none.
	LED *hw.LED
	// Log receives the events a user cares about, with stable "event"
	// names; nil means slog.Default().
	Log *slog.Logger
}

// Station is the intercom's behaviour: a press calls the flat, a code
// typed in the call opens the door, allowed incoming calls are answered.
// It takes the peripherals' events (Run) and the user agent's (SIPEvent),
// and places calls through a Dialer set with Attach.
type Station struct {
	cfg StationConfig
	log *slog.Logger

	mu      sync.Mutex
	dialer  Dialer
	ringing map[string]bool        // buttons whose call is being set up or up
	targets map[*sipua.Call]string // the target each outgoing call rang
	rest    hw.LEDState            // the LED between calls: idle, registered or error
	wg      sync.WaitGroup
}

// NewStation returns a station with cfg.
func NewStation(cfg StationConfig) *Station {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Station{cfg: cfg, log: log, ringing: make(map[string]bool), targets: make(map[*sipua.Call]string)}
}

// Attach sets the Dialer that places the station's calls (its user agent,
// made with the station's SIPEvent and Incoming as hooks).
func (s *Station) Attach(d Dialer) {
	s.mu.Lock()
	s.dialer = d
	s.mu.Unlock()
}

// Run handles the peripherals' events from q until ctx ends, then waits
// for the calls it started to end.
func (s *Station) Run(ctx context.Context, q *hw.Queue) {
	defer s.wg.Wait()
	for {
		e, ok := q.Next(ctx.Done())
		if !ok {
			return
		}
		switch e.Kind {
		case hw.ButtonPressed:
			s.Press(ctx, e.Name)
		case hw.DoorOpened, hw.DoorClosed, hw.TamperCleared:
			s.log.Info(e.Kind.String(), "input", e.Name)
		case hw.DoorHeldOpen:
			s.emit(slog.LevelWarn, "door held open", "door_held_open", "for", e.Duration.String())
		case hw.Tamper:
			s.emit(slog.LevelWarn, "tamper", "tamper", "input", e.Name)
		}
	}
}

// Press is a press of the named button: it calls the button's targets,
// unless its call is still ringing or up (a second press starts no
// second call). It returns at once; the call goes on in the background.
func (s *Station) Press(ctx context.Context, name string) {
	s.emit(slog.LevelInfo, "button pressed", "button_pressed", "button", name)
	b, ok := s.cfg.Buttons[name]
	s.mu.Lock()
	d := s.dialer
	busy := s.ringing[name]
	if ok && !busy && d != nil {
		s.ringing[name] = true
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.log.Warn("button calls no one", "button", name)
		return
	case busy:
		s.log.Info("button pressed again while its call goes on", "button", name)
		return
	case d == nil:
		s.log.Error("no user agent attached")
		return
	}
	s.setLED(hw.LEDCalling)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.ringing, name)
			s.mu.Unlock()
		}()
		each := time.Duration(0)
		if b.Mode == Sequential && len(b.Targets) > 0 {
			each = b.RingTimeout / time.Duration(len(b.Targets))
		}
		call, err := Ring(ctx, d, b.Targets, b.Mode, each, b.RingTimeout)
		if err != nil && len(b.Fallback) > 0 && ctx.Err() == nil {
			s.log.Info("nobody answered; ringing the fallback", "button", name, "err", err)
			call, err = Ring(ctx, d, b.Fallback, Parallel, 0, b.RingTimeout)
		}
		if err != nil {
			s.log.Info("nobody answered", "button", name, "err", err)
			s.setLED(s.restState())
			return
		}
		s.mu.Lock()
		s.targets[call] = call.Remote()
		s.mu.Unlock()
		<-call.Done()
		s.mu.Lock()
		delete(s.targets, call)
		s.mu.Unlock()
	}()
}

// SIPEvent takes the user agent's events: DTMF digits go to the code
// lock, call states to the LED.
func (s *Station) SIPEvent(e sipua.Event) {
	switch e.Name {
	case sipua.EventRegistered:
		s.setRest(hw.LEDRegistered)
	case sipua.EventRegistrationFailed:
		s.setRest(hw.LEDError)
	case sipua.EventUnregistered:
		s.setRest(hw.LEDIdle)
	case sipua.EventCallRinging:
		if e.Call.Direction() == "incoming" {
			s.setLED(hw.LEDRinging)
		}
	case sipua.EventCallAnswered:
		s.setLED(hw.LEDConnected)
	case sipua.EventCallEnded:
		s.setLED(s.restState())
	case sipua.EventDTMF:
		s.digit(e.Call, e.Digit)
	}
}

// digit feeds one key of a call to the code lock and opens the door on a
// good code. Only the keys of a call that is up count: a caller whose call
// still rings (or was refused) reaches no code, whatever it sends.
func (s *Station) digit(c *sipua.Call, digit string) {
	if s.cfg.Codes == nil || len(digit) != 1 {
		return
	}
	if st := c.State(); st != sipua.CallAnswered {
		s.log.Warn("DTMF ignored: the call is not up", "call_id", c.CallID(), "state", st.String())
		return
	}
	s.mu.Lock()
	target := s.targets[c] // "" for a call we received
	s.mu.Unlock()
	switch s.cfg.Codes.Digit(target, digit[0]) {
	case CodeOpen:
		s.OpenDoor("code", c.CallID())
		if d := s.cfg.HangupAfterOpen; d > 0 {
			time.AfterFunc(d, c.Hangup)
		}
	case CodeWrong:
		s.emit(slog.LevelWarn, "wrong door code", "door_code_rejected", "call_id", c.CallID(), "remote", c.Remote())
	case CodeLocked:
		s.emit(slog.LevelWarn, "door code locked out", "door_code_rejected", "call_id", c.CallID(), "remote", c.Remote(), "locked", "true")
	}
}

// OpenDoor pulses the door relay; why and callID are logged.
func (s *Station) OpenDoor(why, callID string) {
	if s.cfg.Relay == nil {
		return
	}
	if err := s.cfg.Relay.Pulse(s.cfg.Pulse); err != nil {
		s.log.Error("door relay", "err", err)
		return
	}
	s.setLED(hw.LEDDoorOpen)
	s.emit(slog.LevelInfo, "door opened", "door_opened", "by", why, "call_id", callID)
	if s.cfg.OnDoorOpened != nil && callID != "" {
		s.cfg.OnDoorOpened(callID)
	}
}

// Incoming is the user agent's OnIncoming hook: an incoming call the
// policy allowed is answered automatically when the station is an
// auto-answer appliance, after AnswerDelay; and whenever the caller asks
// for it with Call-Info answer-after=N or an Alert-Info auto-answer hint
// (intercom and paging calls from a PBX), after what it asks.
func (s *Station) Incoming(c *sipua.Call) {
	delay, hinted := answerAfter(c.Header("Call-Info"))
	if !hinted && autoAnswerAlert(c.Header("Alert-Info")) {
		delay, hinted = 0, true
	}
	switch {
	case s.cfg.AutoAnswer && hinted:
		delay = min(delay, s.cfg.AnswerDelay)
	case s.cfg.AutoAnswer:
		delay = s.cfg.AnswerDelay
	case !hinted:
		return // it rings until the caller gives up
	}
	time.AfterFunc(delay, func() {
		if c.Answer() == nil && s.cfg.OnAutoAnswer != nil {
			s.cfg.OnAutoAnswer(c.CallID())
		}
	})
}

// autoAnswerAlert reports whether an Alert-Info value asks to answer at
// once, as PBXs and phones write it: info=alert-autoanswer, or the
// "Ring Answer" and "auto answer" forms of Polycom and Yealink.
func autoAnswerAlert(v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(v, "alert-autoanswer") || strings.Contains(v, "ring answer") ||
		strings.Contains(v, "auto answer") || strings.Contains(v, "autoanswer")
}

// answerAfter reads the answer-after parameter of a Call-Info value
// (draft-ietf-sip-answer-after style hints, as desk phones send them).
func answerAfter(callInfo string) (time.Duration, bool) {
	for p := range strings.SplitSeq(callInfo, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, "answer-after") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 && n < 3600 {
				return time.Duration(n) * time.Second, true
			}
		}
	}
	return 0, false
}

// setRest sets the LED state between calls, and shows it unless a call
// is on.
func (s *Station) setRest(st hw.LEDState) {
	s.mu.Lock()
	s.rest = st
	idle := len(s.ringing) == 0 && len(s.targets) == 0
	s.mu.Unlock()
	if idle {
		s.setLED(st)
	}
}

func (s *Station) restState() hw.LEDState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rest
}

// Event is something the station did or saw that a user cares about.
type Event struct {
	// Name is the stable event name.
	Name string
	// Time is when it happened.
	Time time.Time
	// Attrs are its details, as key-value pairs ("button": "flat1").
	Attrs map[string]string
}

// emit logs an event under its stable name and hands it to the hook;
// kv are key-value string pairs.
func (s *Station) emit(level slog.Level, msg, name string, kv ...string) {
	attrs := []any{"event", name}
	e := Event{Name: name, Time: time.Now(), Attrs: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs = append(attrs, kv[i], kv[i+1])
		e.Attrs[kv[i]] = kv[i+1]
	}
	s.log.Log(context.Background(), level, msg, attrs...)
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(e)
	}
}

func (s *Station) setLED(st hw.LEDState) {
	if s.cfg.LED != nil {
		s.cfg.LED.SetState(st)
	}
}
