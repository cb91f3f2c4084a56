// Package httpapi is the JSON HTTP API of the door station: status,
// buttons, the door relay, calls, a server-sent event stream and Prometheus
// metrics. It knows nothing of SIP, audio or GPIO; the firmware plugs in
// through the [Station] interface.
package httpapi

import (
	"errors"
	"time"
)

// Errors a [Station] returns to get a specific HTTP status. Wrap them (with
// fmt.Errorf and %w) to add detail; the message is shown to the client.
var (
	// ErrNotFound means the named thing does not exist: an unknown button,
	// or no current call to hang up. The API answers 404.
	ErrNotFound = errors.New("not found")
	// ErrBusy means the station cannot do it now, for example a call is
	// already up. The API answers 409.
	ErrBusy = errors.New("busy")
	// ErrInvalid means the request is malformed, for example a call target
	// the station cannot dial. The API answers 400.
	ErrInvalid = errors.New("invalid request")
)

// Station is what the API drives; the firmware implements it. All methods
// are called from HTTP handlers, concurrently, and must not block for long.
type Station interface {
	// Status returns a snapshot of the station's state.
	Status() Status
	// OpenDoor pulses the door relay.
	OpenDoor() error
	// Press acts as a press of the named button, on any board. An unknown
	// name returns ErrNotFound.
	Press(button string) error
	// Call places a call to target (a SIP or tel URI) and returns its id.
	// ErrBusy when a call is up, ErrInvalid for a target it cannot dial.
	Call(target string) (callID string, err error)
	// Hangup ends the current call; ErrNotFound when there is none.
	Hangup() error
	// Subscribe returns live events until cancel is called. Cancel must be
	// safe to call more than once and should close the channel. A slow
	// subscriber must never block the station: buffer a bounded number of
	// events and drop (and count) the rest; [Hub] does this.
	Subscribe() (events <-chan Event, cancel func())
}

// Event is one thing that happened at the station, as sent on the event
// stream. Name is one of the stable log event keys (registered,
// button_pressed, call_started, door_opened, ...).
type Event struct {
	Name  string            `json:"event"`
	Time  time.Time         `json:"time"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Status is a snapshot of the station, served as JSON by GET /api/v1/status.
type Status struct {
	// Version is the firmware version.
	Version string `json:"version"`
	// Registration is the state of the SIP registration.
	Registration Registration `json:"registration"`
	// Call is the current call, nil when there is none.
	Call *CallStatus `json:"call"`
	// Door is the state of the relay, the door contact and the code lockout.
	Door Door `json:"door"`
	// Levels are the current audio levels.
	Levels Levels `json:"levels"`
	// Stats are counters since the station started.
	Stats Stats `json:"stats"`
}

// Registration is the state of the SIP registration.
type Registration struct {
	// State is "registered", "registering", "failed" or "none" (no
	// registrar configured). Only "registered" counts as registered in the
	// metrics.
	State string `json:"state"`
	// Expires is the number of seconds until the registration expires.
	Expires int `json:"expires"`
	// Error is the last registration error, if any.
	Error string `json:"error,omitempty"`
}

// CallStatus describes the current call.
type CallStatus struct {
	// ID identifies the call (the id Station.Call returned for outgoing ones).
	ID string `json:"id,omitempty"`
	// State is "calling", "ringing", "answered" or "ending".
	State string `json:"state"`
	// Direction is "outgoing" or "incoming".
	Direction string `json:"direction"`
	// Remote is the other party's URI.
	Remote string `json:"remote"`
	// Since is when the call entered State.
	Since time.Time `json:"since"`
	// Codec is the negotiated codec, empty before media is up.
	Codec string `json:"codec,omitempty"`
	// RTPSent and RTPReceived count RTP packets in this call.
	RTPSent     uint64 `json:"rtp_sent"`
	RTPReceived uint64 `json:"rtp_received"`
	// Lost counts RTP packets lost in this call.
	Lost uint64 `json:"lost"`
	// JitterMS is the interarrival jitter in milliseconds.
	JitterMS float64 `json:"jitter_ms"`
	// RTTMS is the round-trip time from RTCP in milliseconds, 0 if unknown.
	RTTMS float64 `json:"rtt_ms"`
}

// Door is the state of the door.
type Door struct {
	// Relay is true while the relay is energised (the door is released).
	Relay bool `json:"relay"`
	// Open is the door contact, nil when there is none.
	Open *bool `json:"open"`
	// Locked is true while door codes are locked out after wrong ones.
	Locked bool `json:"locked"`
}

// Levels are audio levels in dBFS (0 is full scale). Silence may be
// -Inf; the JSON carries it as [MinDBFS].
type Levels struct {
	CaptureDBFS  float64 `json:"capture_dbfs"`
	PlaybackDBFS float64 `json:"playback_dbfs"`
}

// MinDBFS is the level reported in JSON for silence (-Inf) or NaN.
const MinDBFS = -120.0

// Stats are counters since the station started.
type Stats struct {
	Calls         uint64 `json:"calls"`
	CallsAnswered uint64 `json:"calls_answered"`
	DoorOpens     uint64 `json:"door_opens"`
	WrongCodes    uint64 `json:"wrong_codes"`
	ButtonPresses uint64 `json:"button_presses"`
	// EventsDropped counts events not delivered to slow subscribers.
	EventsDropped uint64 `json:"events_dropped"`
	// SIP counts what the SIP user agent refused from the network.
	SIP SIPStats `json:"sip"`
}

// SIPStats count SIP messages the station refused, since it started: a
// rising count means a broken or hostile peer.
type SIPStats struct {
	// MalformedAnswered counts malformed requests answered with an error
	// (400, 501, 505, 513).
	MalformedAnswered uint64 `json:"malformed_answered"`
	// MalformedDropped counts malformed messages dropped unanswered
	// (responses, ACKs, requests too broken to answer).
	MalformedDropped uint64 `json:"malformed_dropped"`
	// Overloaded counts requests refused 503 at the transaction bound.
	Overloaded uint64 `json:"overloaded"`
	// Dropped counts well-formed messages that could not be taken.
	Dropped uint64 `json:"dropped"`
	// ServerTransactions is the number of server transactions alive.
	ServerTransactions int `json:"server_transactions"`
	// Conns is the number of open SIP TCP and TLS connections.
	Conns int `json:"conns"`
	// AuthFailures counts wrong Digest answers from callers; AuthBlocks the
	// times a source was blocked for guessing, and AuthRefused the requests
	// refused while it was; AuthSources the sources tracked now.
	AuthFailures uint64 `json:"auth_failures"`
	AuthBlocks   uint64 `json:"auth_blocks"`
	AuthRefused  uint64 `json:"auth_refused"`
	AuthSources  int    `json:"auth_sources"`
}
