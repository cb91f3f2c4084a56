package sipua

import (
	"context"
	"log/slog"
	"time"
)

// Event names, stable: logs carry them under the key "event", and the
// application, the HTTP API and scripts match on them.
const (
	EventRegistered         = "registered"
	EventRegistrationFailed = "registration_failed"
	EventUnregistered       = "unregistered"
	EventCallStarted        = "call_started"
	EventCallRinging        = "call_ringing"
	EventCallAnswered       = "call_answered"
	EventCallEnded          = "call_ended"
	EventDTMF               = "dtmf"
)

// Event is something a user of the station cares about.
type Event struct {
	// Name is one of the Event* constants.
	Name string
	// Time is when it happened.
	Time time.Time
	// Call is the call it concerns, or nil for registration events.
	Call *Call
	// Code is the SIP status code that caused it, when one did.
	Code int
	// Reason says why a call ended or a registration failed.
	Reason string
	// Digit is the DTMF digit of a dtmf event, and Source how it came:
	// "info" (SIP INFO) or "rfc4733" (an RTP telephone-event).
	Digit, Source string
}

// emit logs e and hands it to the application.
func (ua *UA) emit(e Event) {
	e.Time = time.Now()
	attrs := []slog.Attr{slog.String("event", e.Name)}
	if c := e.Call; c != nil {
		attrs = append(attrs, slog.String("call_id", c.callID), slog.String("direction", c.Direction()),
			slog.String("remote", c.remote))
	}
	if e.Code != 0 {
		attrs = append(attrs, slog.Int("code", e.Code))
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.Digit != "" {
		attrs = append(attrs, slog.String("digit", e.Digit), slog.String("source", e.Source))
	}
	level := slog.LevelInfo
	if e.Name == EventRegistrationFailed {
		level = slog.LevelWarn
	}
	ua.log.LogAttrs(context.Background(), level, e.Name, attrs...)
	if ua.cfg.OnEvent != nil {
		ua.cfg.OnEvent(e)
	}
}
