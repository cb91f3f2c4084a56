package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"intercom/device"
	"intercom/internal/httpapi"
	"intercom/internal/mqtt"
	"intercom/sipua"
	"intercom/sipua/media"
)

// firmware is the running station as the HTTP API and MQTT see it: its
// status, its commands, and one stream of events from the user agent and
// the door station.
type firmware struct {
	ctx     context.Context
	cfg     *Config
	st      *station
	ua      atomic.Pointer[sipua.UA]
	hub     *httpapi.Hub
	cues    *cues // the calls' level meters
	started time.Time

	calls, answered, doorOpens, wrongCodes, presses atomic.Uint64
}

func newFirmware(ctx context.Context, cfg *Config) *firmware {
	return &firmware{ctx: ctx, cfg: cfg, hub: httpapi.NewHub(64), started: time.Now()}
}

// sipEvent takes the user agent's events.
func (f *firmware) sipEvent(e sipua.Event) {
	attrs := map[string]string{}
	if e.Call != nil {
		attrs["call_id"], attrs["remote"], attrs["direction"] = e.Call.CallID(), e.Call.Remote(), e.Call.Direction()
	}
	if e.Code != 0 {
		attrs["code"] = fmt.Sprint(e.Code)
	}
	if e.Reason != "" {
		attrs["reason"] = e.Reason
	}
	if e.Digit != "" {
		attrs["digit"], attrs["source"] = e.Digit, e.Source
	}
	switch e.Name {
	case sipua.EventCallStarted:
		f.calls.Add(1)
	case sipua.EventCallAnswered:
		f.answered.Add(1)
	}
	f.hub.Publish(httpapi.Event{Name: e.Name, Time: e.Time, Attrs: attrs})
}

// stationEvent takes the door station's events.
func (f *firmware) stationEvent(e device.Event) {
	switch e.Name {
	case "door_opened":
		f.doorOpens.Add(1)
	case "door_code_rejected":
		f.wrongCodes.Add(1)
	case "button_pressed":
		f.presses.Add(1)
	}
	f.hub.Publish(httpapi.Event{Name: e.Name, Time: e.Time, Attrs: e.Attrs})
}

// Status is a snapshot for GET /api/v1/status and the metrics.
func (f *firmware) Status() httpapi.Status {
	s := httpapi.Status{Version: version, Registration: httpapi.Registration{State: "none"},
		Levels: httpapi.Levels{CaptureDBFS: httpapi.MinDBFS, PlaybackDBFS: httpapi.MinDBFS},
		Stats: httpapi.Stats{Calls: f.calls.Load(), CallsAnswered: f.answered.Load(), DoorOpens: f.doorOpens.Load(),
			WrongCodes: f.wrongCodes.Load(), ButtonPresses: f.presses.Load(), EventsDropped: f.hub.Dropped()}}
	if ua := f.ua.Load(); ua != nil {
		us := ua.Stats()
		s.Stats.SIP = httpapi.SIPStats{MalformedAnswered: us.MalformedAnswered, MalformedDropped: us.MalformedDropped,
			Overloaded: us.Overloaded, Dropped: us.Dropped, ServerTransactions: us.ServerTransactions, Conns: us.Conns}
		as := ua.AuthStats()
		s.Stats.SIP.AuthFailures, s.Stats.SIP.AuthBlocks, s.Stats.SIP.AuthRefused, s.Stats.SIP.AuthSources = as.Failures, as.Blocks, as.Refused, as.Sources
		if f.cfg.SIP.Domain != "" {
			r := ua.Registration()
			s.Registration = httpapi.Registration{State: r.State.String(), Expires: int(r.Expires.Seconds())}
			if r.Err != nil {
				s.Registration.Error = r.Err.Error()
			}
		}
		if calls := ua.Calls(); len(calls) > 0 {
			s.Call = callStatus(calls[0])
			if f.cues != nil {
				if r, ok := f.cues.levels(calls[0].CallID()); ok {
					s.Levels = httpapi.Levels{CaptureDBFS: r.Capture.RMS, PlaybackDBFS: r.Playback.RMS}
				}
			}
		}
	}
	if f.st != nil && f.st.relay != nil {
		s.Door.Relay = f.st.relay.State().On
	}
	if f.st != nil && f.st.codes != nil {
		s.Door.Locked = f.st.codes.Locked()
	}
	return s
}

// callStatus describes a call for the API.
func callStatus(c *sipua.Call) *httpapi.CallStatus {
	cs := &httpapi.CallStatus{ID: c.CallID(), State: c.State().String(), Direction: c.Direction(), Remote: c.Remote()}
	if m, ok := c.Media().(*media.Call); ok {
		st := m.Stream().Stats()
		cs.Codec, cs.RTPSent, cs.RTPReceived = st.Codec, st.PacketsSent, st.PacketsReceived
		cs.Lost = uint64(max(st.Lost, 0))
		cs.JitterMS = float64(st.Jitter) / float64(time.Millisecond)
		cs.RTTMS = float64(st.RTT) / float64(time.Millisecond)
	}
	return cs
}

// OpenDoor pulses the door relay.
func (f *firmware) OpenDoor() error {
	if f.st == nil || f.st.relay == nil {
		return fmt.Errorf("%w: no door relay configured", httpapi.ErrNotFound)
	}
	f.st.OpenDoor("api", "")
	return nil
}

// Press acts as a press of a configured button.
func (f *firmware) Press(name string) error {
	for _, b := range f.cfg.Buttons {
		if b.Name == name {
			f.st.Press(f.ctx, name)
			return nil
		}
	}
	return fmt.Errorf("%w: no button %q", httpapi.ErrNotFound, name)
}

// Call places a call.
func (f *firmware) Call(target string) (string, error) {
	ua := f.ua.Load()
	if ua == nil {
		return "", httpapi.ErrBusy
	}
	c, err := ua.Dial(f.ctx, target, sipua.DialOptions{RingTimeout: f.cfg.SIP.RingTimeout.Duration})
	switch {
	case errors.Is(err, sipua.ErrBusy):
		return "", fmt.Errorf("%w: %v", httpapi.ErrBusy, err)
	case err != nil:
		return "", fmt.Errorf("%w: %v", httpapi.ErrInvalid, err)
	}
	return c.CallID(), nil
}

// Hangup ends the current call.
func (f *firmware) Hangup() error {
	ua := f.ua.Load()
	if ua == nil {
		return httpapi.ErrNotFound
	}
	calls := ua.Calls()
	if len(calls) == 0 {
		return fmt.Errorf("%w: no call", httpapi.ErrNotFound)
	}
	for _, c := range calls {
		c.Hangup()
	}
	return nil
}

// Subscribe streams events for the HTTP API.
func (f *firmware) Subscribe() (<-chan httpapi.Event, func()) { return f.hub.Subscribe() }

// mqttStation is the firmware as the MQTT bridge sees it.
type mqttStation struct{ *firmware }

// Subscribe streams events for MQTT, converted from the hub's.
func (m mqttStation) Subscribe() (<-chan mqtt.Event, func()) {
	in, cancel := m.hub.Subscribe()
	out := make(chan mqtt.Event, 16)
	var once sync.Once
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case e, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- mqtt.Event{Name: e.Name, Time: e.Time, Attrs: e.Attrs}:
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() { once.Do(func() { close(done); cancel() }) }
}
