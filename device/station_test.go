package device

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"intercom/board"
	"intercom/device/hw"
	"intercom/sipua"
	"intercom/sipua/media"
	"intercom/sipua/sdp"
)

var rtpPorts atomic.Int32

func init() { rtpPorts.Store(43000) }

// withMedia gives a user agent real RTP, with RFC 4733 keys reported as
// dtmf events.
func withMedia(c *sipua.Call) (sipua.Media, error) {
	return media.NewCall(media.CallConfig{Addr: netip.MustParseAddr("127.0.0.1"), Port: func() int { return int(rtpPorts.Add(2)) },
		SDP: sdp.Config{Codecs: []string{"PCMU"}, DTMF: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnDTMF: func(k byte) { c.ReportDTMF(string(k), "rfc4733") }})
}

// flatPhone answers every call and, once up, types keys as RFC 4733
// events while sending silence, as a resident's phone does.
func flatPhone(t *testing.T, keys string) (string, <-chan sipua.Event) {
	t.Helper()
	ended := make(chan sipua.Event, 4)
	ua, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "flat1"},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		NewMedia:   withMedia,
		OnIncoming: func(c *sipua.Call) { _ = c.Answer() },
		OnEvent: func(e sipua.Event) {
			switch e.Name {
			case sipua.EventCallEnded:
				ended <- e
			case sipua.EventCallAnswered:
				go func() {
					s := e.Call.Media().(*media.Call).Stream()
					frame := make([]int16, 160)
					tick := time.NewTicker(media.FrameDuration)
					defer tick.Stop()
					for i := 0; ; i++ {
						select {
						case <-e.Call.Done():
							return
						case <-tick.C:
						}
						if i == 10 {
							_ = s.SendDTMF(keys)
						}
						_ = s.WriteFrame(frame)
					}
				}()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ua.Close)
	return "sip:flat1@" + ua.Addr().AddrPort.String(), ended
}

// TestPressCallCodeOpens: on the simulated board, a press on the flat's
// button calls the flat's phone, which answers and types the door code;
// the relay pulses for its configured time, and the station hangs up.
// Pressing again while the call is up starts no second call.
func TestPressCallCodeOpens(t *testing.T) {
	target, phoneEnded := flatPhone(t, "1#")
	sim := board.NewSim()
	defer sim.Close()
	buttonPin, err := sim.Pin("GPIO17")
	if err != nil {
		t.Fatal(err)
	}
	relayPin, err := sim.Pin("GPIO27")
	if err != nil {
		t.Fatal(err)
	}
	q := hw.NewQueue(0)
	button, err := hw.NewButton(hw.ButtonConfig{Name: "flat1", Pin: buttonPin, Sink: q, Repeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	relay, err := hw.NewRelay(hw.RelayConfig{Name: "door", Pin: relayPin, Pulse: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	codes, err := NewCodeLock(CodeLockConfig{Codes: []string{"1#"}})
	if err != nil {
		t.Fatal(err)
	}
	var openedIn atomic.Value // the call the chime is cued in
	var names struct {
		sync.Mutex
		list []string
	}
	st := NewStation(StationConfig{
		Buttons: map[string]ButtonTargets{"flat1": {Targets: []string{target}, RingTimeout: 10 * time.Second}},
		Relay:   relay, Codes: codes, HangupAfterOpen: 200 * time.Millisecond,
		OnDoorOpened: func(id string) { openedIn.Store(id) },
		OnEvent: func(e Event) {
			names.Lock()
			names.list = append(names.list, e.Name)
			names.Unlock()
		},
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	var calls atomic.Int32
	ua, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NewMedia: withMedia, OnIncoming: st.Incoming,
		OnEvent: func(e sipua.Event) {
			if e.Name == sipua.EventCallStarted {
				calls.Add(1)
			}
			st.SIPEvent(e)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	st.Attach(ua)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = button.Run(ctx) }()
	done := make(chan struct{})
	go func() { st.Run(ctx, q); close(done) }()

	press := func() {
		if err := sim.Set("GPIO17", gpio.Low); err != nil { // active low
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if err := sim.Set("GPIO17", gpio.High); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the button's loop sets its pin up; a press before is not one
	press()
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := sim.WaitLevel(wait, "GPIO27", gpio.High); err != nil {
		t.Fatalf("the relay never closed: %v", err)
	}
	press() // while the call is up: no second call
	if err := sim.WaitLevel(wait, "GPIO27", gpio.Low); err != nil {
		t.Fatalf("the relay never opened again: %v", err)
	}
	if s := relay.State(); s.Pulses != 1 || s.LastPulseLength != 300*time.Millisecond {
		t.Errorf("relay %+v, want one pulse of 300 ms", s)
	}
	select {
	case e := <-phoneEnded:
		if e.Reason != "remote hangup" {
			t.Errorf("the phone's call ended by %q, want the station hanging up", e.Reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the station did not hang up after the door opened")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls placed, want 1", n)
	}
	if id, _ := openedIn.Load().(string); id == "" {
		t.Error("the chime was not cued in the call")
	}
	names.Lock()
	count := map[string]int{}
	for _, n := range names.list {
		count[n]++
	}
	if count["button_pressed"] != 2 || count["door_opened"] != 1 || len(names.list) != 3 {
		t.Errorf("events %q, want two presses and one door opened", names.list)
	}
	names.Unlock()
	cancel()
	<-done
}

// TestAnswerAfter reads the Call-Info hint of auto-answer requests.
func TestAnswerAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"<sip:pbx>;answer-after=0":   0,
		"<http://x>; Answer-After=3": 3 * time.Second,
	} {
		if d, ok := answerAfter(in); !ok || d != want {
			t.Errorf("answerAfter(%q) = %v %v, want %v", in, d, ok, want)
		}
	}
	for _, in := range []string{"", "<sip:pbx>;purpose=icon", "<sip:x>;answer-after=-1", "<sip:x>;answer-after=x"} {
		if _, ok := answerAfter(in); ok {
			t.Errorf("answerAfter(%q) found a hint", in)
		}
	}
}

// TestAutoAnswer: as an auto-answer appliance the station answers a
// caller its policy allows, after the delay, and a stranger is refused.
func TestAutoAnswer(t *testing.T) {
	st := NewStation(StationConfig{AutoAnswer: true, AnswerDelay: 100 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	door, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnIncoming: st.Incoming, OnEvent: st.SIPEvent,
		Policy: func(c *sipua.Call) int {
			if c.Remote() == "sip:concierge@127.0.0.1" {
				return 0
			}
			return 403
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer door.Close()
	for _, tc := range []struct {
		user     string
		answered bool
	}{{"concierge", true}, {"stranger", false}} {
		caller, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: tc.user},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		call, err := caller.Dial(context.Background(), "sip:door@"+door.Addr().AddrPort.String(), sipua.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-call.Answered():
		case <-call.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("no answer nor refusal")
		}
		s := call.Summary()
		if s.Answered != tc.answered || (!tc.answered && s.Code != 403) {
			t.Errorf("%s: %+v", tc.user, s)
		}
		call.Hangup()
		caller.Close()
	}
}

func TestAutoAnswerAlert(t *testing.T) {
	for in, want := range map[string]bool{
		"<http://127.0.0.1>;info=alert-autoanswer": true,
		"Ring Answer":              true,
		"<sip:x>;info=auto answer": true,
		"<http://pbx/ring2.wav>":   false,
		"":                         false,
	} {
		if got := autoAnswerAlert(in); got != want {
			t.Errorf("autoAnswerAlert(%q) = %v", in, got)
		}
	}
}

// TestFallback: when the flat does not answer within the ring time, the
// button's fallback (the concierge) is rung and answers.
func TestFallback(t *testing.T) {
	flat, flatEnded := phone(t, "flat1", func(*sipua.Call) {}) // rings, nobody home
	concierge, _ := phone(t, "concierge", func(c *sipua.Call) { _ = c.Answer() })
	ua := station(t)
	answered := make(chan string, 1)
	st := NewStation(StationConfig{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Buttons: map[string]ButtonTargets{"flat1": {Targets: []string{flat}, RingTimeout: 500 * time.Millisecond, Fallback: []string{concierge}}}})
	st.Attach(dialerFunc(func(ctx context.Context, target string, o sipua.DialOptions) (*sipua.Call, error) {
		c, err := ua.Dial(ctx, target, o)
		if err == nil {
			go func() {
				select {
				case <-c.Answered():
					answered <- c.Remote()
				case <-c.Done():
				}
			}()
		}
		return c, err
	}))
	st.Press(context.Background(), "flat1")
	endedWith(t, flatEnded, 487)
	select {
	case who := <-answered:
		if who != concierge {
			t.Errorf("answered by %s, want the concierge", who)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fallback did not answer")
	}
}

// dialerFunc makes a function a Dialer.
type dialerFunc func(context.Context, string, sipua.DialOptions) (*sipua.Call, error)

func (f dialerFunc) Dial(ctx context.Context, target string, o sipua.DialOptions) (*sipua.Call, error) {
	return f(ctx, target, o)
}

// TestWrongCodesLockOut: the flat's phone types three wrong codes and
// then the right one: the third locks the door out, so the right code no
// longer opens it, and each wrong code is an event.
func TestWrongCodesLockOut(t *testing.T) {
	target, _ := flatPhone(t, "9#8#7#1#")
	sim := board.NewSim()
	defer sim.Close()
	relayPin, err := sim.Pin("GPIO27")
	if err != nil {
		t.Fatal(err)
	}
	relay, err := hw.NewRelay(hw.RelayConfig{Name: "door", Pin: relayPin})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	codes, err := NewCodeLock(CodeLockConfig{Codes: []string{"1#"}})
	if err != nil {
		t.Fatal(err)
	}
	rejected := make(chan Event, 8)
	st := NewStation(StationConfig{Relay: relay, Codes: codes, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Buttons: map[string]ButtonTargets{"flat1": {Targets: []string{target}, RingTimeout: 10 * time.Second}},
		OnEvent: func(e Event) {
			if e.Name == "door_code_rejected" {
				rejected <- e
			}
		}})
	ua, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NewMedia: withMedia, OnEvent: st.SIPEvent})
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	st.Attach(ua)
	st.Press(context.Background(), "flat1")
	for i := range 3 {
		select {
		case e := <-rejected:
			if locked := e.Attrs["locked"] == "true"; locked != (i == 2) {
				t.Errorf("wrong code %d: locked %v", i+1, locked)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d wrong codes reported", i)
		}
	}
	select { // the right code, typed while locked out
	case e := <-rejected:
		if e.Attrs["locked"] != "true" {
			t.Errorf("the right code after the lockout: %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("the code typed while locked out was not reported")
	}
	if s := relay.State(); s.Pulses != 0 {
		t.Errorf("the relay pulsed %d times during a lockout", s.Pulses)
	}
}
