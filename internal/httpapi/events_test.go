package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseReader reads server-sent events from a stream.
type sseReader struct {
	t  *testing.T
	br *bufio.Reader
}

// next returns the next block (lines up to a blank line), or ok=false at
// the end of the stream.
func (r *sseReader) next() (lines []string, ok bool) {
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			return lines, false
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return lines, true
		}
		lines = append(lines, line)
	}
}

// nextEvent skips comments and returns the next event.
func (r *sseReader) nextEvent() (name string, ev Event) {
	r.t.Helper()
	for {
		lines, ok := r.next()
		if !ok {
			r.t.Fatalf("stream ended, wanted an event")
		}
		if len(lines) > 0 && strings.HasPrefix(lines[0], ":") {
			continue
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			r.t.Fatalf("malformed event block %q", lines)
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &ev); err != nil {
			r.t.Fatalf("event data %q: %v", lines[1], err)
		}
		return strings.TrimPrefix(lines[0], "event: "), ev
	}
}

func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, *sseReader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	r := &sseReader{t: t, br: bufio.NewReader(resp.Body)}
	// The stream opens with a comment once the server has subscribed.
	if lines, ok := r.next(); !ok || len(lines) != 1 || lines[0] != ": connected" {
		t.Fatalf("first block %q", lines)
	}
	return resp, r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsInOrderAndEndOnCancel(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, r := openStream(t, ctx, base+"/api/v1/events")

	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want := []Event{
		{Name: "button_pressed", Time: t0, Attrs: map[string]string{"button": "flat1"}},
		{Name: "call_started", Time: t0.Add(time.Second), Attrs: map[string]string{"remote": "sip:flat1@pbx"}},
		{Name: "door_opened", Time: t0.Add(2 * time.Second)},
	}
	for _, ev := range want {
		st.hub.Publish(ev)
		name, got := r.nextEvent()
		if name != ev.Name || got.Name != ev.Name || !got.Time.Equal(ev.Time) || len(got.Attrs) != len(ev.Attrs) {
			t.Fatalf("got %q %+v, want %+v", name, got, ev)
		}
		for k, v := range ev.Attrs {
			if got.Attrs[k] != v {
				t.Errorf("attr %s = %q, want %q", k, got.Attrs[k], v)
			}
		}
	}

	// The client going away ends the stream and unsubscribes.
	cancel()
	waitFor(t, "the subscription to end", func() bool { return st.hub.Subscribers() == 0 })
}

func TestEventsBurstInOrder(t *testing.T) {
	st := newFakeStation()
	st.hub = NewHub(64)
	_, base := startServer(t, Config{Station: st}, nil)
	_, r := openStream(t, context.Background(), base+"/api/v1/events")
	names := []string{"registered", "button_pressed", "call_started", "call_ringing", "call_answered", "dtmf", "door_opened", "call_ended"}
	for _, n := range names {
		st.hub.Publish(Event{Name: n, Time: time.Now()})
	}
	for _, n := range names {
		if got, _ := r.nextEvent(); got != n {
			t.Fatalf("got %q, want %q", got, n)
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, func(s *Server) { s.heartbeat = 20 * time.Millisecond })
	_, r := openStream(t, context.Background(), base+"/api/v1/events")
	for i := 0; i < 2; i++ {
		lines, ok := r.next()
		if !ok || len(lines) != 1 || lines[0] != ": heartbeat" {
			t.Fatalf("block %q, want a heartbeat", lines)
		}
	}
}

func TestEventsEndWhenServerStops(t *testing.T) {
	st := newFakeStation()
	s, err := New(Config{Listen: "127.0.0.1:0", Station: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.ready
	_, r := openStream(t, context.Background(), "http://"+s.Addr().String()+"/api/v1/events")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(ShutdownTimeout - time.Second):
		t.Fatal("Serve did not shut down promptly with an open event stream")
	}
	for {
		if _, ok := r.next(); !ok {
			break
		}
	}
	if n := st.hub.Subscribers(); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
	// Serving again is refused.
	if err := s.Serve(context.Background()); err == nil {
		t.Error("second Serve succeeded")
	}
}

func TestEventsSubscriberLimit(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < MaxSubscribers; i++ {
		openStream(t, ctx, base+"/api/v1/events")
	}
	resp, b := do(t, "GET", base+"/api/v1/events", "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("stream %d: %d %s, want 503", MaxSubscribers+1, resp.StatusCode, b)
	}
	errorOf(t, resp, b)
	cancel()
	waitFor(t, "streams to end", func() bool { return st.hub.Subscribers() == 0 })
	// A slot is free again.
	openStream(t, context.Background(), base+"/api/v1/events")
}

func TestFormatEventSanitisesName(t *testing.T) {
	got := string(formatEvent(Event{Name: "a\nb\rc", Time: time.Unix(0, 0).UTC()}))
	want := "event: a_b_c\ndata: {\"event\":\"a\\nb\\rc\",\"time\":\"1970-01-01T00:00:00Z\"}\n\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(formatEvent(Event{})); !strings.HasPrefix(got, "event: message\n") {
		t.Errorf("unnamed event: %q", got)
	}
}

func TestHubNeverBlocks(t *testing.T) {
	h := NewHub(2)
	ch, cancel := h.Subscribe()
	for i := 0; i < 5; i++ {
		h.Publish(Event{Name: "e"}) // nobody reads; must not block
	}
	if got := h.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
	if len(ch) != 2 {
		t.Errorf("buffered %d, want 2", len(ch))
	}
	cancel()
	cancel() // idempotent
	for range ch {
	}
	h.Publish(Event{Name: "after"}) // no subscribers, no panic
	if h.Subscribers() != 0 {
		t.Error("subscriber left after cancel")
	}
	if NewHub(0).buffer != DefaultHubBuffer {
		t.Error("NewHub(0) buffer")
	}
}

func TestEventsOutliveServerTimeouts(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, func(s *Server) {
		s.heartbeat = 20 * time.Millisecond
		s.timeouts = timeouts{readHeader: 100 * time.Millisecond, read: 100 * time.Millisecond,
			write: 100 * time.Millisecond, idle: 100 * time.Millisecond, streamWrite: time.Second}
	})
	_, r := openStream(t, context.Background(), base+"/api/v1/events")
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if _, ok := r.next(); !ok {
			t.Fatal("stream ended within the server's read/write timeouts")
		}
	}
	st.hub.Publish(Event{Name: "door_opened"})
	if name, _ := r.nextEvent(); name != "door_opened" {
		t.Fatalf("got %q", name)
	}
}
