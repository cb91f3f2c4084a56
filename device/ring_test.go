package device

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"intercom/sipua"
)

// phone starts a user agent on 127.0.0.1 that handles incoming calls with
// onCall, and returns its URI and a channel of how its calls ended.
func phone(t *testing.T, user string, onCall func(*sipua.Call)) (string, <-chan sipua.Event) {
	t.Helper()
	ended := make(chan sipua.Event, 8)
	ua, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: user},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnIncoming: onCall,
		OnEvent: func(e sipua.Event) {
			if e.Name == sipua.EventCallEnded {
				ended <- e
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ua.Close)
	return "sip:" + user + "@" + ua.Addr().AddrPort.String(), ended
}

func station(t *testing.T) *sipua.UA {
	t.Helper()
	ua, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"}, MaxCalls: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ua.Close)
	return ua
}

func busy(c *sipua.Call)       { _ = c.Reject(486) }
func ringing(*sipua.Call)      {}
func answerSoon(c *sipua.Call) { time.AfterFunc(200*time.Millisecond, func() { _ = c.Answer() }) }

func endedWith(t *testing.T, ch <-chan sipua.Event, code int) {
	t.Helper()
	select {
	case e := <-ch:
		if e.Code != code {
			t.Errorf("call ended with %d (%s), want %d", e.Code, e.Reason, code)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("no call ended with %d", code)
	}
}

// TestRingParallel: all phones ring; the first to answer wins, the one
// still ringing is cancelled (487), the busy one had refused.
func TestRingParallel(t *testing.T) {
	a, aEnded := phone(t, "a", busy)
	b, bEnded := phone(t, "b", ringing)
	c, _ := phone(t, "c", answerSoon)
	call, err := Ring(context.Background(), station(t), []string{a, b, c}, Parallel, 0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if call.Remote() != c {
		t.Errorf("answered by %s, want %s", call.Remote(), c)
	}
	endedWith(t, aEnded, 486)
	endedWith(t, bEnded, 487)
	call.Hangup()
}

// TestRingSequential: each phone in turn: the busy one refuses at once,
// the next rings out its time and is cancelled, the third answers.
func TestRingSequential(t *testing.T) {
	a, _ := phone(t, "a", busy)
	b, bEnded := phone(t, "b", ringing)
	c, _ := phone(t, "c", answerSoon)
	call, err := Ring(context.Background(), station(t), []string{a, b, c}, Sequential, 300*time.Millisecond, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if call.Remote() != c {
		t.Errorf("answered by %s, want %s", call.Remote(), c)
	}
	endedWith(t, bEnded, 487)
	call.Hangup()
}

// TestRingNobody: when no phone answers within the whole ring time, Ring
// says so and leaves no call behind.
func TestRingNobody(t *testing.T) {
	a, aEnded := phone(t, "a", ringing)
	b, _ := phone(t, "b", busy)
	st := station(t)
	_, err := Ring(context.Background(), st, []string{a, b}, Parallel, 0, 500*time.Millisecond)
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("err %v, want ErrNoAnswer", err)
	}
	endedWith(t, aEnded, 487)
	if n := len(st.Calls()); n != 0 {
		t.Errorf("%d calls left", n)
	}
}
