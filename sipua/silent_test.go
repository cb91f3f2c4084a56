package sipua

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"intercom/sipua/transaction"
)

// TestSilentHopGivesUp: an INVITE to a hop that answers nothing at all is
// given up after 8*T1 with "no response", not at Timer B (64*T1) as a
// transaction timeout, so a door station's fallback rings in time. A hop that says 100 Trying is waited
// for, up to the ring timeout.
func TestSilentHopGivesUp(t *testing.T) {
	timers := transaction.Timers{T1: 50 * time.Millisecond, T2: 200 * time.Millisecond, T4: 250 * time.Millisecond}
	door := newTestUA(t, "door", func(c *Config) { c.Timers = timers })

	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	call, err := door.Dial(context.Background(), "sip:flat@"+silent.LocalAddr().String(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Timer B would end it as a transaction timeout.
	if s := waitDone(t, call); s.Answered || s.Code != 408 || !strings.Contains(s.Reason, "no response from") {
		t.Errorf("call to a silent hop: %+v, want 408 no response", s)
	}
	// Its INVITE is no longer retransmitted once given up.
	_ = silent.SetReadDeadline(time.Now().Add(10 * timers.T1))
	buf := make([]byte, 4096)
	for {
		if _, _, err := silent.ReadFrom(buf); err != nil {
			break
		}
	}
	_ = silent.SetReadDeadline(time.Now().Add(20 * timers.T1))
	if n, _, err := silent.ReadFrom(buf); err == nil {
		t.Errorf("the abandoned INVITE is still sent: %q", buf[:min(n, 40)])
	}

	// A hop that answers 100 Trying, then nothing, rings until the ring
	// timeout cancels the call.
	trying := newTestUA(t, "flat", func(c *Config) {
		c.Timers = timers
		c.OnIncoming = func(*Call) {} // rings, never answers
	})
	call, err = door.Dial(context.Background(), trying.uri(), DialOptions{RingTimeout: 30 * timers.T1})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, call); s.Code != 487 {
		t.Errorf("call to a ringing hop: %+v, want cancelled by the ring timeout (487)", s)
	}
}
