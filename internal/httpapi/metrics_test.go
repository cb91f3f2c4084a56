package httpapi

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	helpRe   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$`)
	typeRe   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|untyped)$`)
	sampleRe = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+)$`)
)

// parseMetrics checks the text exposition format line by line and returns
// the samples by name (labels dropped) and the types.
func parseMetrics(t *testing.T, text string) (samples map[string]float64, types map[string]string) {
	t.Helper()
	samples, types = map[string]float64{}, map[string]string{}
	help := map[string]bool{}
	if !strings.HasSuffix(text, "\n") {
		t.Errorf("exposition does not end with a newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case helpRe.MatchString(line):
			name := helpRe.FindStringSubmatch(line)[1]
			if help[name] {
				t.Errorf("line %d: second HELP for %s", i+1, name)
			}
			help[name] = true
		case typeRe.MatchString(line):
			m := typeRe.FindStringSubmatch(line)
			if _, dup := types[m[1]]; dup {
				t.Errorf("line %d: second TYPE for %s", i+1, m[1])
			}
			if _, seen := samples[m[1]]; seen {
				t.Errorf("line %d: TYPE for %s after its samples", i+1, m[1])
			}
			types[m[1]] = m[2]
		case sampleRe.MatchString(line):
			m := sampleRe.FindStringSubmatch(line)
			name := m[1]
			if !help[name] || types[name] == "" {
				t.Errorf("line %d: sample %s without HELP and TYPE before it", i+1, name)
			}
			if types[name] == "counter" && !strings.HasSuffix(name, "_total") {
				t.Errorf("line %d: counter %s without _total", i+1, name)
			}
			v, err := strconv.ParseFloat(m[3], 64)
			if err != nil {
				t.Errorf("line %d: value %q: %v", i+1, m[3], err)
			}
			samples[name] = v
		default:
			t.Errorf("line %d is not in the text format: %q", i+1, line)
		}
	}
	return samples, types
}

func TestMetrics(t *testing.T) {
	st := newFakeStation()
	st.status.Version = `v1 "quoted" \ back`
	st.status.Call = &CallStatus{State: "answered", RTPSent: 500, RTPReceived: 498, Lost: 2, JitterMS: 12.5, RTTMS: 30}
	st.status.Door.Relay = true
	_, base := startServer(t, Config{Station: st}, nil)
	resp, b := do(t, "GET", base+"/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	samples, types := parseMetrics(t, string(b))
	want := map[string]struct {
		typ string
		v   float64
	}{
		"intercom_registered":           {"gauge", 1},
		"intercom_calls_total":          {"counter", 3},
		"intercom_calls_answered_total": {"counter", 2},
		"intercom_door_opens_total":     {"counter", 5},
		"intercom_wrong_codes_total":    {"counter", 1},
		"intercom_call_up":              {"gauge", 1},
		"intercom_rtp_packets_sent":     {"gauge", 500},
		"intercom_rtp_packets_received": {"gauge", 498},
		"intercom_jitter_seconds":       {"gauge", 0.0125},
		"intercom_capture_dbfs":         {"gauge", -30.5},
		"intercom_playback_dbfs":        {"gauge", -12},
		"intercom_door_relay":           {"gauge", 1},
		"intercom_door_open":            {"gauge", 0},
		"intercom_info":                 {"gauge", 1},
	}
	for name, w := range want {
		if types[name] != w.typ {
			t.Errorf("%s type %q, want %q", name, types[name], w.typ)
		}
		if v, ok := samples[name]; !ok || v != w.v {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, w.v)
		}
	}
	if !strings.Contains(string(b), `intercom_info{version="v1 \"quoted\" \\ back"} 1`) {
		t.Errorf("version label not escaped:\n%s", b)
	}
}

func TestMetricsIdleStation(t *testing.T) {
	st := newFakeStation()
	st.status.Registration.State = "failed"
	st.status.Door.Open = nil
	st.status.Levels.CaptureDBFS = math.Inf(-1)
	st.status.Levels.PlaybackDBFS = math.NaN()
	samples, _ := parseMetrics(t, string(formatMetrics(st.Status())))
	for name, want := range map[string]float64{"intercom_registered": 0, "intercom_call_up": 0, "intercom_rtp_packets_sent": 0, "intercom_jitter_seconds": 0} {
		if samples[name] != want {
			t.Errorf("%s = %v, want %v", name, samples[name], want)
		}
	}
	if !math.IsInf(samples["intercom_capture_dbfs"], -1) || !math.IsNaN(samples["intercom_playback_dbfs"]) {
		t.Errorf("levels %v %v", samples["intercom_capture_dbfs"], samples["intercom_playback_dbfs"])
	}
	if _, ok := samples["intercom_door_open"]; ok {
		t.Error("intercom_door_open present without a contact")
	}
}
