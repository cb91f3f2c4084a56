// Package mqtt connects the door station to an MQTT broker: it publishes the
// station's events and state, takes commands (open the door, place or end a
// call) and, optionally, announces the station to Home Assistant through MQTT
// discovery.
//
// The package knows the station only through the small [Station] interface,
// so it depends on nothing else of ours; cmd/intercom wires it up.
//
// Topics, under a base topic (default "intercom/<client id>"):
//
//	<base>/availability   "online" / "offline" (retained; the will is "offline")
//	<base>/door           "locked" / "unlocked" (retained)
//	<base>/call           "idle" / "ringing" / "connected" (retained)
//	<base>/event/<name>   one JSON object per event (QoS 1, not retained)
//	<base>/door/set       command: "OPEN" or "UNLOCK" opens the door
//	<base>/call/set       command: a SIP URI places a call, "HANGUP" ends it
package mqtt

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// Station is what the MQTT bridge needs of the door station.
type Station interface {
	// OpenDoor pulses the door relay.
	OpenDoor() error
	// Call places a call to target (a SIP URI) and returns its identifier.
	Call(target string) (string, error)
	// Hangup ends the current call.
	Hangup() error
	// Subscribe returns the station's events and a function that ends the
	// subscription.
	Subscribe() (<-chan Event, func())
}

// Event is one thing that happened at the station; Name is one of the stable
// event keys of the logs (button_pressed, call_started, door_opened, ...).
type Event struct {
	Name  string
	Time  time.Time
	Attrs map[string]string
}

// Config is the MQTT bridge's configuration.
type Config struct {
	// Broker is the broker's URL: mqtt://host:1883 or mqtts://host:8883.
	Broker             string
	Username, Password string
	// ClientID is the MQTT client identifier; default "intercom-<hostname>".
	ClientID string
	// Topic is the base topic; default "intercom/<ClientID>".
	Topic string
	// Discovery announces the station to Home Assistant.
	Discovery bool
	// DiscoveryPrefix is Home Assistant's discovery prefix; default
	// "homeassistant".
	DiscoveryPrefix string
	// DoorRelock is how long after door_opened the door is reported locked
	// again; default 5s.
	DoorRelock time.Duration
	// Station is the door station; required.
	Station Station
	// Logger receives what goes wrong; nil discards.
	Logger *slog.Logger
}

// State values published on the state topics.
const (
	Online    = "online"
	Offline   = "offline"
	Locked    = "locked"
	Unlocked  = "unlocked"
	Idle      = "idle"
	Ringing   = "ringing"
	Connected = "connected"
)

const (
	opTimeout    = 10 * time.Second
	keepAlive    = 30 // seconds
	commandQueue = 8
)

type command struct {
	topic, payload string
}

type bridge struct {
	cfg    Config
	url    *url.URL
	base   string
	node   string
	log    *slog.Logger
	cmds   chan command
	mu     sync.Mutex
	door   string
	call   string
	cm     *autopaho.ConnectionManager
	upWG   sync.WaitGroup // goroutines started by goUp
	closed bool           // under mu: goUp starts nothing more
	upCtx  context.Context
	upStop context.CancelFunc
}

// Run connects to the broker, reconnecting with back-off, and bridges the
// station until ctx ends; then it reports the station offline, disconnects
// and returns nil. It returns an error only for a bad configuration.
func Run(ctx context.Context, cfg Config) error {
	b, err := newBridge(cfg)
	if err != nil {
		return err
	}
	return b.run(ctx)
}

func newBridge(cfg Config) (*bridge, error) {
	if cfg.Station == nil {
		return nil, errors.New("mqtt: no station")
	}
	u, err := parseBroker(cfg.Broker)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		h, _ := os.Hostname()
		cfg.ClientID = "intercom-" + sanitize(h)
	}
	if cfg.Topic == "" {
		cfg.Topic = "intercom/" + cfg.ClientID
	}
	cfg.Topic = strings.TrimSuffix(cfg.Topic, "/")
	if strings.ContainsAny(cfg.Topic, "+#") || cfg.Topic == "" {
		return nil, fmt.Errorf("mqtt: topic %q: wildcards are not allowed", cfg.Topic)
	}
	if cfg.DiscoveryPrefix == "" {
		cfg.DiscoveryPrefix = "homeassistant"
	}
	if cfg.DoorRelock <= 0 {
		cfg.DoorRelock = 5 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &bridge{
		cfg:  cfg,
		url:  u,
		base: cfg.Topic,
		node: sanitize(cfg.ClientID),
		log:  log.With("component", "mqtt"),
		cmds: make(chan command, commandQueue),
		door: Locked,
		call: Idle,
	}, nil
}

func parseBroker(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the URL, password and all: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("mqtt: broker URL: %w", err)
	}
	port := ""
	switch u.Scheme {
	case "mqtt", "tcp":
		port = "1883"
	case "mqtts", "ssl", "tls":
		port = "8883"
	default:
		return nil, fmt.Errorf("mqtt: broker %s: scheme must be mqtt or mqtts", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mqtt: broker %s: no host", u.Redacted())
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

// sanitize keeps what Home Assistant accepts in a node or object id.
func sanitize(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	if sb.Len() == 0 {
		return "intercom"
	}
	return sb.String()
}

func (b *bridge) topic(parts ...string) string {
	return b.base + "/" + strings.Join(parts, "/")
}

func (b *bridge) clientConfig() autopaho.ClientConfig {
	cc := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{b.url},
		TlsCfg:                        &tls.Config{MinVersion: tls.VersionTLS12},
		KeepAlive:                     keepAlive,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewExponentialBackoff(time.Second, time.Minute, 2*time.Second, 2),
		ConnectTimeout:                opTimeout,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			b.mu.Lock()
			b.cm = cm
			b.mu.Unlock()
			b.goUp(func() { b.onUp(cm) })
		},
		OnConnectError: func(err error) {
			b.log.Warn("mqtt connect failed", "broker", b.url.Redacted(), "err", err)
		},
		ClientConfig: paho.ClientConfig{
			ClientID: b.cfg.ClientID,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				b.onPublish,
			},
			OnClientError: func(err error) { b.log.Warn("mqtt client error", "err", err) },
		},
	}
	if b.cfg.Username != "" {
		cc.ConnectUsername = b.cfg.Username
		cc.ConnectPassword = []byte(b.cfg.Password)
	}
	cc.WillMessage = &paho.WillMessage{Topic: b.topic("availability"), Payload: []byte(Offline), QoS: 1, Retain: true}
	return cc
}

func (b *bridge) run(ctx context.Context) error {
	events, unsubscribe := b.cfg.Station.Subscribe()
	defer unsubscribe()

	b.upCtx, b.upStop = context.WithCancel(ctx)
	defer b.upStop()
	// The connection outlives ctx long enough to say goodbye.
	connCtx, connStop := context.WithCancel(context.WithoutCancel(ctx))
	defer connStop()
	cm, err := autopaho.NewConnection(connCtx, b.clientConfig())
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	b.mu.Lock()
	b.cm = cm
	b.mu.Unlock()

	var workers sync.WaitGroup
	workers.Add(1)
	go func() {
		defer workers.Done()
		b.commands(ctx)
	}()

	relock := time.NewTimer(time.Hour)
	relock.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case ev, ok := <-events:
			if !ok {
				b.log.Warn("mqtt: station's events ended")
				events = nil
				continue
			}
			b.event(ctx, ev, relock)
		case <-relock.C:
			b.setState(ctx, "door", Locked)
		}
	}
	relock.Stop()
	workers.Wait()

	// Say goodbye: offline, retained, then a clean DISCONNECT (no will).
	b.upStop()
	bye, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b.publish(bye, b.topic("availability"), []byte(Offline), true)
	if err := cm.Disconnect(bye); err != nil {
		b.log.Warn("mqtt disconnect", "err", err)
	}
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.upWG.Wait()
	return nil
}

// goUp runs fn on its own goroutine, owned by run, unless run is finishing.
// paho's callbacks must not block, so they hand their work to goUp.
func (b *bridge) goUp(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.upWG.Add(1)
	go func() {
		defer b.upWG.Done()
		fn()
	}()
}

// onUp runs after every (re)connection: subscribe to the commands, announce
// the station and publish the current state.
func (b *bridge) onUp(cm *autopaho.ConnectionManager) {
	ctx, cancel := context.WithTimeout(b.upCtx, opTimeout)
	defer cancel()
	subs := []paho.SubscribeOptions{
		{Topic: b.topic("door", "set"), QoS: 1},
		{Topic: b.topic("call", "set"), QoS: 1},
	}
	if b.cfg.Discovery {
		subs = append(subs, paho.SubscribeOptions{Topic: b.cfg.DiscoveryPrefix + "/status", QoS: 1})
	}
	if _, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs}); err != nil {
		b.log.Warn("mqtt subscribe", "err", err)
	}
	if b.cfg.Discovery {
		b.announce(ctx)
	}
	b.mu.Lock()
	door, call := b.door, b.call
	b.mu.Unlock()
	b.publish(ctx, b.topic("door"), []byte(door), true)
	b.publish(ctx, b.topic("call"), []byte(call), true)
	b.publish(ctx, b.topic("availability"), []byte(Online), true)
	b.log.Info("mqtt connected", "broker", b.url.Redacted(), "topic", b.base)
}

func (b *bridge) announce(ctx context.Context) {
	for _, d := range b.discovery() {
		p, err := json.Marshal(d.config)
		if err != nil {
			b.log.Warn("mqtt discovery", "topic", d.topic, "err", err)
			continue
		}
		b.publish(ctx, d.topic, p, true)
	}
}

// onPublish runs on paho's receiving goroutine: it must not block, so the
// commands go to a queue that a worker drains.
func (b *bridge) onPublish(pr paho.PublishReceived) (bool, error) {
	c := command{topic: pr.Packet.Topic, payload: string(pr.Packet.Payload)}
	if b.cfg.Discovery && c.topic == b.cfg.DiscoveryPrefix+"/status" {
		if strings.TrimSpace(c.payload) == Online {
			// Home Assistant restarted: announce again.
			b.goUp(func() {
				ctx, cancel := context.WithTimeout(b.upCtx, opTimeout)
				defer cancel()
				b.announce(ctx)
			})
		}
		return true, nil
	}
	select {
	case b.cmds <- c:
	default:
		b.log.Warn("mqtt command dropped: queue full", "topic", c.topic)
	}
	return true, nil
}

func (b *bridge) commands(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-b.cmds:
			if err := b.do(c); err != nil {
				b.log.Warn("mqtt command failed", "topic", c.topic, "payload", c.payload, "err", err)
			}
		}
	}
}

// do carries out one command received on a .../set topic.
func (b *bridge) do(c command) error {
	p := strings.TrimSpace(c.payload)
	switch c.topic {
	case b.topic("door", "set"):
		switch strings.ToUpper(p) {
		case "OPEN", "UNLOCK":
			return b.cfg.Station.OpenDoor()
		case "LOCK":
			return nil // the door locks itself after the pulse
		}
		return fmt.Errorf("unknown door command %q", p)
	case b.topic("call", "set"):
		if strings.EqualFold(p, "HANGUP") {
			return b.cfg.Station.Hangup()
		}
		if isURI(p) {
			id, err := b.cfg.Station.Call(p)
			if err == nil {
				b.log.Info("mqtt call placed", "target", p, "call", id)
			}
			return err
		}
		return fmt.Errorf("not a SIP URI and not HANGUP: %q", p)
	}
	return fmt.Errorf("unexpected topic %q", c.topic)
}

func isURI(s string) bool {
	l := strings.ToLower(s)
	for _, scheme := range []string{"sip:", "sips:", "tel:"} {
		if strings.HasPrefix(l, scheme) && len(s) > len(scheme) && !strings.ContainsAny(s, " \t\r\n") {
			return true
		}
	}
	return false
}

// eventPayload is the JSON published on <base>/event/<name>. EventType is
// what Home Assistant's event entity reads ("press" for button_pressed).
type eventPayload struct {
	Event     string            `json:"event"`
	EventType string            `json:"event_type"`
	Time      string            `json:"time"`
	Attrs     map[string]string `json:"attrs,omitempty"`
}

func encodeEvent(ev Event) ([]byte, error) {
	t := ev.Time
	if t.IsZero() {
		t = time.Now()
	}
	typ := ev.Name
	if ev.Name == "button_pressed" {
		typ = "press"
	}
	return json.Marshal(eventPayload{Event: ev.Name, EventType: typ, Time: t.UTC().Format(time.RFC3339Nano), Attrs: ev.Attrs})
}

func (b *bridge) event(ctx context.Context, ev Event, relock *time.Timer) {
	if ev.Name == "" {
		return
	}
	p, err := encodeEvent(ev)
	if err != nil {
		b.log.Warn("mqtt event", "event", ev.Name, "err", err)
		return
	}
	b.publish(ctx, b.topic("event", sanitize(ev.Name)), p, false)
	switch ev.Name {
	case "door_opened":
		b.setState(ctx, "door", Unlocked)
		relock.Reset(b.cfg.DoorRelock)
	case "call_started", "call_ringing":
		b.setState(ctx, "call", Ringing)
	case "call_answered":
		b.setState(ctx, "call", Connected)
	case "call_ended":
		b.setState(ctx, "call", Idle)
	}
}

func (b *bridge) setState(ctx context.Context, which, v string) {
	b.mu.Lock()
	switch which {
	case "door":
		b.door = v
	case "call":
		b.call = v
	}
	b.mu.Unlock()
	b.publish(ctx, b.topic(which), []byte(v), true)
}

// publish sends with QoS 1; while the broker is away it drops the message
// (the state is published again on reconnection).
func (b *bridge) publish(ctx context.Context, topic string, payload []byte, retain bool) {
	b.mu.Lock()
	cm := b.cm
	b.mu.Unlock()
	if cm == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := cm.Publish(ctx, &paho.Publish{Topic: topic, Payload: payload, QoS: 1, Retain: retain}); err != nil {
		b.log.Debug("mqtt publish dropped", "topic", topic, "err", err)
	}
}
