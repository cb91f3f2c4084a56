package httpapi

import (
	"encoding/json"
	"testing"
)

// TestSIPMetrics checks that the SIP user agent's counters of refused
// input reach /metrics with their types, and the status JSON.
func TestSIPMetrics(t *testing.T) {
	st := newFakeStation()
	st.status.Stats.SIP = SIPStats{MalformedAnswered: 4500, MalformedDropped: 27, Overloaded: 3, Dropped: 2,
		ServerTransactions: 17, Conns: 5, AuthFailures: 40, AuthBlocks: 6, AuthRefused: 900, AuthSources: 2}
	samples, types := parseMetrics(t, string(formatMetrics(st.Status())))
	for name, w := range map[string]struct {
		typ string
		v   float64
	}{
		"intercom_sip_malformed_answered_total": {"counter", 4500},
		"intercom_sip_malformed_dropped_total":  {"counter", 27},
		"intercom_sip_overloaded_total":         {"counter", 3},
		"intercom_sip_dropped_total":            {"counter", 2},
		"intercom_sip_server_transactions":      {"gauge", 17},
		"intercom_sip_connections":              {"gauge", 5},
		"intercom_sip_auth_failures_total":      {"counter", 40},
		"intercom_sip_auth_blocks_total":        {"counter", 6},
		"intercom_sip_auth_refused_total":       {"counter", 900},
		"intercom_sip_auth_sources":             {"gauge", 2},
	} {
		if types[name] != w.typ || samples[name] != w.v {
			t.Errorf("%s = %v (%s), want %v (%s)", name, samples[name], types[name], w.v, w.typ)
		}
	}
	b, err := json.Marshal(st.Status())
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Stats struct {
			SIP map[string]float64 `json:"sip"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Stats.SIP["malformed_answered"] != 4500 || back.Stats.SIP["overloaded"] != 3 {
		t.Errorf("status JSON stats.sip = %v", back.Stats.SIP)
	}
}
