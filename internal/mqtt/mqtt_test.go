package mqtt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseBroker(t *testing.T) {
	tests := []struct {
		in, host string
		ok       bool
	}{
		{"mqtt://broker", "broker:1883", true},
		{"mqtt://broker:1884", "broker:1884", true},
		{"mqtts://broker", "broker:8883", true},
		{"mqtt://[::1]", "[::1]:1883", true},
		{"broker:1883", "", false},
		{"http://broker", "", false},
		{"mqtt://", "", false},
	}
	for _, tt := range tests {
		u, err := parseBroker(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("parseBroker(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && u.Host != tt.host {
			t.Errorf("parseBroker(%q) host = %q, want %q", tt.in, u.Host, tt.host)
		}
	}
	// Errors never repeat a password written in the URL.
	for _, in := range []string{"http://door:Secr3t@broker", "mqtt://door:Secr3t@", "mqtt://door:Secr3t@bro%zzker"} {
		if _, err := parseBroker(in); err == nil || strings.Contains(err.Error(), "Secr3t") {
			t.Errorf("parseBroker(%q) err = %v, want an error without the password", in, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	b, err := newBridge(Config{Broker: "mqtt://127.0.0.1", ClientID: "door 1", Station: newFakeStation()})
	if err != nil {
		t.Fatal(err)
	}
	if b.base != "intercom/door 1" || b.node != "door_1" || b.cfg.DiscoveryPrefix != "homeassistant" || b.cfg.DoorRelock != 5*time.Second {
		t.Errorf("defaults: base %q node %q prefix %q relock %v", b.base, b.node, b.cfg.DiscoveryPrefix, b.cfg.DoorRelock)
	}
	if _, err := newBridge(Config{Broker: "mqtt://127.0.0.1"}); err == nil {
		t.Error("no station: want error")
	}
	if _, err := newBridge(Config{Broker: "mqtt://127.0.0.1", Topic: "a/#", Station: newFakeStation()}); err == nil {
		t.Error("wildcard topic: want error")
	}
}

func TestCommands(t *testing.T) {
	st := newFakeStation()
	b, err := newBridge(Config{Broker: "mqtt://127.0.0.1", ClientID: "d", Station: st})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		topic, payload string
		ok             bool
		want           string
	}{
		{"intercom/d/door/set", "OPEN", true, "open"},
		{"intercom/d/door/set", " unlock\n", true, "open"},
		{"intercom/d/door/set", "LOCK", true, ""},
		{"intercom/d/door/set", "BANG", false, ""},
		{"intercom/d/call/set", "sip:flat1@pbx.example.org", true, "call sip:flat1@pbx.example.org"},
		{"intercom/d/call/set", "HANGUP", true, "hangup"},
		{"intercom/d/call/set", "flat1", false, ""},
		{"intercom/d/call/set", "sip:", false, ""},
		{"intercom/d/other", "OPEN", false, ""},
	}
	for _, tt := range tests {
		err := b.do(command{tt.topic, tt.payload})
		if (err == nil) != tt.ok {
			t.Errorf("do(%s, %q) err = %v, want ok=%v", tt.topic, tt.payload, err, tt.ok)
		}
		got := ""
		select {
		case got = <-st.actions:
		default:
		}
		if got != tt.want {
			t.Errorf("do(%s, %q) action %q, want %q", tt.topic, tt.payload, got, tt.want)
		}
	}
}

func TestEncodeEvent(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := encodeEvent(Event{Name: "button_pressed", Time: at, Attrs: map[string]string{"button": "flat1"}})
	if err != nil {
		t.Fatal(err)
	}
	var got eventPayload
	if err := json.Unmarshal(p, &got); err != nil {
		t.Fatal(err)
	}
	want := eventPayload{Event: "button_pressed", EventType: "press", Time: "2026-01-02T03:04:05Z", Attrs: map[string]string{"button": "flat1"}}
	if got.Event != want.Event || got.EventType != want.EventType || got.Time != want.Time || got.Attrs["button"] != "flat1" {
		t.Errorf("event JSON %s", p)
	}
}

func TestDiscoveryPayloads(t *testing.T) {
	b, err := newBridge(Config{Broker: "mqtt://127.0.0.1", ClientID: "door1", Discovery: true, Station: newFakeStation()})
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]map[string]any{}
	for _, d := range b.discovery() {
		p, err := json.Marshal(d.config)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatal(err)
		}
		msgs[d.topic] = m
	}
	checkDiscovery(t, msgs, "homeassistant", "door1", "intercom/door1")
}

// checkDiscovery checks the three discovery configs in msgs, by topic.
func checkDiscovery(t *testing.T, msgs map[string]map[string]any, prefix, node, base string) {
	t.Helper()
	want := map[string]map[string]any{
		prefix + "/event/" + node + "/doorbell/config": {
			"state_topic":  base + "/event/button_pressed",
			"device_class": "doorbell",
			"event_types":  "[press]",
		},
		prefix + "/lock/" + node + "/door/config": {
			"command_topic":  base + "/door/set",
			"payload_unlock": "OPEN",
			"state_topic":    base + "/door",
			"state_locked":   "locked",
			"state_unlocked": "unlocked",
		},
		prefix + "/sensor/" + node + "/call/config": {
			"state_topic": base + "/call",
			"options":     "[idle ringing connected]",
		},
	}
	for topic, fields := range want {
		m, ok := msgs[topic]
		if !ok {
			t.Errorf("no discovery config on %s", topic)
			continue
		}
		for k, v := range fields {
			got := m[k]
			if arr, ok := got.([]any); ok {
				s := make([]string, len(arr))
				for i, a := range arr {
					s[i], _ = a.(string)
				}
				got = "[" + strings.Join(s, " ") + "]"
			}
			if got != v {
				t.Errorf("%s: %s = %v, want %v", topic, k, got, v)
			}
		}
		if m["availability_topic"] != base+"/availability" {
			t.Errorf("%s: availability_topic = %v", topic, m["availability_topic"])
		}
		if uid, _ := m["unique_id"].(string); !strings.HasPrefix(uid, node+"_") {
			t.Errorf("%s: unique_id = %v", topic, m["unique_id"])
		}
		dev, _ := m["device"].(map[string]any)
		ids, _ := dev["identifiers"].([]any)
		if len(ids) != 1 || ids[0] != node || dev["manufacturer"] != "intercom" || dev["model"] == nil || dev["sw_version"] == nil || dev["name"] == nil {
			t.Errorf("%s: device = %v", topic, dev)
		}
	}
}

// fakeStation records what it is asked to do on actions and sends the
// events given to emit to its single subscriber.
type fakeStation struct {
	actions chan string
	events  chan Event
}

func newFakeStation() *fakeStation {
	return &fakeStation{actions: make(chan string, 16), events: make(chan Event, 16)}
}

func (f *fakeStation) OpenDoor() error { f.actions <- "open"; return nil }
func (f *fakeStation) Hangup() error   { f.actions <- "hangup"; return nil }
func (f *fakeStation) Call(target string) (string, error) {
	f.actions <- "call " + target
	return "call-1", nil
}
func (f *fakeStation) Subscribe() (<-chan Event, func()) { return f.events, func() {} }
