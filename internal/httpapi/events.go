package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleEvents streams the station's events as server-sent events:
//
//	event: <name>
//	data: <Event as JSON>
//
// with a comment line every heartbeat interval. The stream ends when the
// client goes away, the station closes the channel, or the server stops.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	select {
	case s.sse <- struct{}{}:
		defer func() { <-s.sse }()
	default:
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, "too many event streams (max "+strconv.Itoa(MaxSubscribers)+")")
		return
	}
	rc := http.NewResponseController(w)
	events, cancel := s.cfg.Station.Subscribe()
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The server's write timeout is for ordinary answers; a stream gets a
	// fresh deadline per write instead, so a stuck client is still dropped.
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.timeouts.streamWrite))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": connected\n\n")) {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-tick.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if !write(formatEvent(ev)) {
				return
			}
		}
	}
}

// formatEvent renders one server-sent event. The name cannot contain line
// breaks (they would end the field); JSON never does.
func formatEvent(ev Event) []byte {
	data, err := json.Marshal(ev)
	if err != nil {
		data = []byte(`{}`)
	}
	name := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return '_'
		}
		return r
	}, ev.Name)
	if name == "" {
		name = "message"
	}
	b := make([]byte, 0, len(name)+len(data)+16)
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	b = append(b, "\n\n"...)
	return b
}
