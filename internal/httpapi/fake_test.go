package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeStation records what the API asked of it.
type fakeStation struct {
	hub *Hub

	mu      sync.Mutex
	status  Status
	opens   int
	presses []string
	calls   []string
	callErr error
	inCall  bool
	doorErr error
}

func newFakeStation() *fakeStation {
	open := false
	return &fakeStation{
		hub: NewHub(4),
		status: Status{
			Version:      "1.2.3",
			Registration: Registration{State: "registered", Expires: 300},
			Door:         Door{Open: &open},
			Levels:       Levels{CaptureDBFS: -30.5, PlaybackDBFS: -12},
			Stats:        Stats{Calls: 3, CallsAnswered: 2, DoorOpens: 5, WrongCodes: 1},
		},
	}
}

func (f *fakeStation) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeStation) OpenDoor() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.doorErr != nil {
		return f.doorErr
	}
	f.opens++
	return nil
}

func (f *fakeStation) Press(button string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if button != "flat1" && button != "flat2" {
		return fmt.Errorf("button %q: %w", button, ErrNotFound)
	}
	f.presses = append(f.presses, button)
	return nil
}

func (f *fakeStation) Call(target string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.callErr != nil {
		return "", f.callErr
	}
	if f.inCall {
		return "", fmt.Errorf("a call is up: %w", ErrBusy)
	}
	f.inCall = true
	f.calls = append(f.calls, target)
	return fmt.Sprintf("call-%d", len(f.calls)), nil
}

func (f *fakeStation) Hangup() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.inCall {
		return fmt.Errorf("no call: %w", ErrNotFound)
	}
	f.inCall = false
	return nil
}

func (f *fakeStation) Subscribe() (<-chan Event, func()) { return f.hub.Subscribe() }

// startServer runs a Server on 127.0.0.1:0 until the test ends and returns
// it with its base URL.
func startServer(t *testing.T, cfg Config, tweak func(*Server)) (*Server, string) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-s.ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return s, "http://" + s.Addr().String()
}

var client = &http.Client{Timeout: 10 * time.Second}
