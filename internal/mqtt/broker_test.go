package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

const waitLimit = 10 * time.Second

// mosquitto is a broker started by a test on 127.0.0.1.
type mosquitto struct {
	t    *testing.T
	bin  string
	conf string
	addr string
	cmd  *exec.Cmd
}

// mosquittoPath finds the broker (Debian installs it in /usr/sbin). Missing,
// the test is skipped locally and fails under CI.
func mosquittoPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("mosquitto not found; install Debian package mosquitto")
	}
	t.Skip("mosquitto not found; install Debian package mosquitto")
	return ""
}

func startMosquitto(t *testing.T) *mosquitto {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	body := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n", port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &mosquitto{t: t, bin: mosquittoPath(t), conf: conf, addr: addr}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *mosquitto) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "-c", m.conf)
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start mosquitto: %v", err)
	}
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", m.addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("mosquitto did not listen on %s", m.addr)
}

func (m *mosquitto) stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

// observer is a separate MQTT client that records every message it sees.
type observer struct {
	t    *testing.T
	cli  *paho.Client
	mu   sync.Mutex
	msgs []*paho.Publish
}

func newObserver(t *testing.T, addr string) *observer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	o := &observer{t: t}
	o.cli = paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			o.mu.Lock()
			o.msgs = append(o.msgs, pr.Packet)
			o.mu.Unlock()
			return true, nil
		}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := o.cli.Connect(ctx, &paho.Connect{ClientID: "observer-" + strconv.Itoa(time.Now().Nanosecond()), KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.cli.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "#", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.cli.Disconnect(&paho.Disconnect{}) })
	return o
}

func (o *observer) publish(topic, payload string) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := o.cli.Publish(ctx, &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: 1}); err != nil {
		o.t.Fatal(err)
	}
}

// waitFor returns the first message, from the index from on, on topic whose
// payload is want (any payload if want is ""), and its index.
func (o *observer) waitFor(from int, topic, want string) (*paho.Publish, int) {
	o.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		for i := from; i < len(o.msgs); i++ {
			m := o.msgs[i]
			if m.Topic == topic && (want == "" || string(m.Payload) == want) {
				o.mu.Unlock()
				return m, i
			}
		}
		o.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	o.t.Fatalf("no message %q on %s within %v", want, topic, waitLimit)
	return nil, 0
}

func (o *observer) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

func waitAction(t *testing.T, st *fakeStation, want string) {
	t.Helper()
	select {
	case got := <-st.actions:
		if got != want {
			t.Fatalf("station did %q, want %q", got, want)
		}
	case <-time.After(waitLimit):
		t.Fatalf("station did not %q within %v", want, waitLimit)
	}
}

func startRun(t *testing.T, cfg Config) (cancel func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	var once sync.Once
	cancel = func() {
		once.Do(func() {
			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Errorf("Run did not return within %v of cancel", waitLimit)
			}
		})
	}
	t.Cleanup(cancel)
	return cancel
}

func TestBridgeWithMosquitto(t *testing.T) {
	broker := startMosquitto(t)
	obs := newObserver(t, broker.addr)
	st := newFakeStation()
	base := "intercom/door1"
	cancel := startRun(t, Config{
		Broker:     "mqtt://" + broker.addr,
		ClientID:   "door1",
		Discovery:  true,
		DoorRelock: 200 * time.Millisecond,
		Station:    st,
	})

	obs.waitFor(0, base+"/availability", Online)
	obs.waitFor(0, base+"/door", Locked)
	obs.waitFor(0, base+"/call", Idle)

	// Discovery: retained, parsed, fields checked.
	disc := map[string]map[string]any{}
	for _, topic := range []string{
		"homeassistant/event/door1/doorbell/config",
		"homeassistant/lock/door1/door/config",
		"homeassistant/sensor/door1/call/config",
	} {
		// Retain is cleared on delivery to a live subscriber; the
		// retained copies are checked below with a late subscriber.
		m, _ := obs.waitFor(0, topic, "")
		var v map[string]any
		if err := json.Unmarshal(m.Payload, &v); err != nil {
			t.Fatalf("%s: %v: %s", topic, err, m.Payload)
		}
		disc[topic] = v
	}
	checkDiscovery(t, disc, "homeassistant", "door1", base)

	// A late subscriber sees the retained discovery and state.
	late := newObserver(t, broker.addr)
	if m, _ := late.waitFor(0, "homeassistant/lock/door1/door/config", ""); !m.Retain {
		t.Error("discovery config not retained")
	}
	if m, _ := late.waitFor(0, base+"/availability", Online); !m.Retain {
		t.Error("availability not retained")
	}

	// Events.
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	st.events <- Event{Name: "button_pressed", Time: at, Attrs: map[string]string{"button": "flat1"}}
	m, _ := obs.waitFor(0, base+"/event/button_pressed", "")
	var ev eventPayload
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != "button_pressed" || ev.EventType != "press" || ev.Time != "2026-05-06T07:08:09Z" || ev.Attrs["button"] != "flat1" || m.Retain || m.QoS != 1 {
		t.Errorf("event message: retain %v qos %d %s", m.Retain, m.QoS, m.Payload)
	}

	n := obs.len()
	st.events <- Event{Name: "call_ringing"}
	obs.waitFor(n, base+"/call", Ringing)
	st.events <- Event{Name: "call_answered"}
	obs.waitFor(n, base+"/call", Connected)
	st.events <- Event{Name: "call_ended"}
	obs.waitFor(n, base+"/call", Idle)

	n = obs.len()
	st.events <- Event{Name: "door_opened"}
	_, i := obs.waitFor(n, base+"/door", Unlocked)
	obs.waitFor(i, base+"/door", Locked)

	// Commands.
	obs.publish(base+"/door/set", "OPEN")
	waitAction(t, st, "open")
	obs.publish(base+"/call/set", "sip:flat2@pbx.example.org")
	waitAction(t, st, "call sip:flat2@pbx.example.org")
	obs.publish(base+"/call/set", "HANGUP")
	waitAction(t, st, "hangup")

	// Home Assistant's birth message asks for the discovery again.
	n = obs.len()
	obs.publish("homeassistant/status", "online")
	obs.waitFor(n, "homeassistant/sensor/door1/call/config", "")

	// Reconnect after the broker restarts (no persistence: the retained
	// state is gone, so the bridge must publish it again).
	broker.stop()
	broker.start()
	obs2 := newObserver(t, broker.addr)
	obs2.waitFor(0, base+"/availability", Online)
	obs2.waitFor(0, "homeassistant/event/door1/doorbell/config", "")
	obs2.publish(base+"/door/set", "UNLOCK")
	waitAction(t, st, "open")

	// Shutdown says offline, retained.
	n = obs2.len()
	cancel()
	obs2.waitFor(n, base+"/availability", Offline)
}

func TestWillOnBrokenConnection(t *testing.T) {
	broker := startMosquitto(t)
	obs := newObserver(t, broker.addr)
	// A client with the bridge's will, whose connection we cut.
	b, err := newBridge(Config{Broker: "mqtt://" + broker.addr, ClientID: "door2", Station: newFakeStation()})
	if err != nil {
		t.Fatal(err)
	}
	cc := b.clientConfig()
	conn, err := net.DialTimeout("tcp", broker.addr, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	cli := paho.NewClient(paho.ClientConfig{Conn: conn})
	ctx, cancelCtx := context.WithTimeout(context.Background(), waitLimit)
	defer cancelCtx()
	if _, err := cli.Connect(ctx, &paho.Connect{ClientID: "door2", KeepAlive: 30, CleanStart: true, WillMessage: cc.WillMessage}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	obs.waitFor(0, "intercom/door2/availability", Offline)
}
