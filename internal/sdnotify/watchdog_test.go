package sdnotify

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestMonitorWithholdsPings steps a fake clock (synctest) through rounds of
// half an interval and checks that a ping is sent only after rounds in which
// every registered loop beat.
func TestMonitorWithholdsPings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		m := NewWatchdog(interval)
		var pings atomic.Int32
		m.send = func() error { pings.Add(1); return nil }
		m.Register("sip")
		m.Register("media")

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()

		// Check a little after each tick, never at the same instant.
		time.Sleep(time.Millisecond)
		rounds := []struct {
			name  string
			beat  []string
			pings int32
		}{
			{"all beat", []string{"sip", "media"}, 1},
			{"media stuck", []string{"sip"}, 1},
			{"media still stuck", []string{"sip", "sip"}, 1},
			{"both again", []string{"media", "sip"}, 2},
			{"none beat", nil, 2},
			{"new loop joins by beating", []string{"sip", "media", "events"}, 3},
			{"new loop stuck", []string{"sip", "media"}, 3},
		}
		for _, r := range rounds {
			for _, name := range r.beat {
				m.Beat(name)
			}
			time.Sleep(interval / 2)
			synctest.Wait()
			if got := pings.Load(); got != r.pings {
				t.Fatalf("after round %q: %d pings, want %d", r.name, got, r.pings)
			}
		}

		// A loop that ends on purpose no longer holds the pings back.
		m.Unregister("events")
		m.Beat("sip")
		m.Beat("media")
		time.Sleep(interval / 2)
		synctest.Wait()
		if got := pings.Load(); got != 4 {
			t.Fatalf("after unregistering the stuck loop: %d pings, want 4", got)
		}

		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

// TestMonitorStuckLoop runs real loops on the fake clock: while both beat,
// pings flow; once one blocks, they stop for good.
func TestMonitorStuckLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewWatchdog(30 * time.Second)
		var pings atomic.Int32
		m.send = func() error { pings.Add(1); return nil }

		ctx, cancel := context.WithCancel(t.Context())
		stuck := make(chan struct{})
		loop := func(name string, hang <-chan struct{}) {
			for {
				m.Beat(name)
				select {
				case <-ctx.Done():
					return
				case <-hang:
					<-ctx.Done() // stuck: no more beats
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		go loop("rx", nil)
		go loop("tx", stuck)
		go m.Run(ctx)

		time.Sleep(time.Minute + time.Second) // four ticks
		if got := pings.Load(); got != 4 {
			t.Fatalf("healthy: %d pings after 4 ticks, want 4", got)
		}
		close(stuck)
		time.Sleep(2 * time.Minute)
		// The round in which tx stopped may still ping once (it beat before
		// it hung); none after that.
		if got := pings.Load(); got > 5 {
			t.Fatalf("stuck loop: %d pings, want at most 5", got)
		}
		cancel()
		synctest.Wait()
	})
}

// TestMonitorSendsToSocket checks the real path on the real clock: Run's
// ping reaches NOTIFY_SOCKET as a WATCHDOG=1 datagram (no timing asserted:
// recv just waits for it).
func TestMonitorSendsToSocket(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify.sock"))
	m := NewWatchdog(2 * time.Millisecond)
	m.Beat("main")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	if got := recv(t, conn); got != "WATCHDOG=1" {
		t.Errorf("sent %q, want WATCHDOG=1", got)
	}
	cancel()
	<-done
}

func TestMonitorNoInterval(t *testing.T) {
	m := NewWatchdog(0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := m.Run(ctx); err != context.Canceled {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}
