package httpapi

import (
	"bytes"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// metricsContentType is the Prometheus text exposition format 0.0.4.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", metricsContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(formatMetrics(s.cfg.Station.Status()))
}

// formatMetrics renders st in the Prometheus text format, by hand.
func formatMetrics(st Status) []byte {
	var b bytes.Buffer
	metric := func(name, typ, help string, v float64) {
		b.WriteString("# HELP " + name + " " + help + "\n")
		b.WriteString("# TYPE " + name + " " + typ + "\n")
		b.WriteString(name + " " + formatFloat(v) + "\n")
	}
	b.WriteString("# HELP intercom_info Firmware version; always 1.\n")
	b.WriteString("# TYPE intercom_info gauge\n")
	b.WriteString(`intercom_info{version="` + escapeLabel(st.Version) + "\"} 1\n")
	metric("intercom_registered", "gauge", "1 if the SIP registration is up, else 0.", b2f(st.Registration.State == "registered"))
	metric("intercom_calls_total", "counter", "Calls placed or received since start.", float64(st.Stats.Calls))
	metric("intercom_calls_answered_total", "counter", "Calls answered since start.", float64(st.Stats.CallsAnswered))
	metric("intercom_door_opens_total", "counter", "Door relay pulses since start.", float64(st.Stats.DoorOpens))
	metric("intercom_wrong_codes_total", "counter", "Wrong door codes entered since start.", float64(st.Stats.WrongCodes))
	metric("intercom_button_presses_total", "counter", "Button presses since start.", float64(st.Stats.ButtonPresses))
	metric("intercom_events_dropped_total", "counter", "Events dropped for slow subscribers since start.", float64(st.Stats.EventsDropped))
	metric("intercom_sip_malformed_answered_total", "counter", "Malformed SIP requests answered with an error since start.", float64(st.Stats.SIP.MalformedAnswered))
	metric("intercom_sip_malformed_dropped_total", "counter", "Malformed SIP messages dropped unanswered since start.", float64(st.Stats.SIP.MalformedDropped))
	metric("intercom_sip_overloaded_total", "counter", "SIP requests refused 503 at the transaction bound since start.", float64(st.Stats.SIP.Overloaded))
	metric("intercom_sip_dropped_total", "counter", "Well-formed SIP messages dropped since start.", float64(st.Stats.SIP.Dropped))
	metric("intercom_sip_server_transactions", "gauge", "SIP server transactions alive.", float64(st.Stats.SIP.ServerTransactions))
	metric("intercom_sip_connections", "gauge", "Open SIP TCP and TLS connections.", float64(st.Stats.SIP.Conns))
	metric("intercom_sip_auth_failures_total", "counter", "Wrong Digest answers from callers since start.", float64(st.Stats.SIP.AuthFailures))
	metric("intercom_sip_auth_blocks_total", "counter", "Caller sources blocked for guessing since start.", float64(st.Stats.SIP.AuthBlocks))
	metric("intercom_sip_auth_refused_total", "counter", "Requests refused from blocked sources since start.", float64(st.Stats.SIP.AuthRefused))
	metric("intercom_sip_auth_sources", "gauge", "Caller sources whose Digest failures are tracked.", float64(st.Stats.SIP.AuthSources))
	metric("intercom_door_relay", "gauge", "1 while the door relay is energised.", b2f(st.Door.Relay))
	metric("intercom_door_locked", "gauge", "1 while door codes are locked out.", b2f(st.Door.Locked))
	if st.Door.Open != nil {
		metric("intercom_door_open", "gauge", "1 while the door contact reports open.", b2f(*st.Door.Open))
	}
	var c CallStatus
	if st.Call != nil {
		c = *st.Call
	}
	metric("intercom_call_up", "gauge", "1 while a call exists, else 0.", b2f(st.Call != nil))
	metric("intercom_rtp_packets_sent", "gauge", "RTP packets sent in the current call.", float64(c.RTPSent))
	metric("intercom_rtp_packets_received", "gauge", "RTP packets received in the current call.", float64(c.RTPReceived))
	metric("intercom_rtp_packets_lost", "gauge", "RTP packets lost in the current call.", float64(c.Lost))
	metric("intercom_jitter_seconds", "gauge", "Interarrival jitter of the current call.", c.JitterMS/1000)
	metric("intercom_rtt_seconds", "gauge", "Round-trip time of the current call from RTCP.", c.RTTMS/1000)
	metric("intercom_capture_dbfs", "gauge", "Capture level in dBFS.", st.Levels.CaptureDBFS)
	metric("intercom_playback_dbfs", "gauge", "Playback level in dBFS.", st.Levels.PlaybackDBFS)
	return b.Bytes()
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// formatFloat writes a sample value as the text format wants it.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
