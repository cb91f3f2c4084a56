package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
)

// routes builds the mux. Each path also gets a method-less fallback so that
// a wrong method answers 405 in JSON with an Allow header, and "/" answers
// 404 in JSON.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	type route struct {
		method string
		h      http.HandlerFunc
	}
	table := []struct {
		path   string
		routes []route
	}{
		{"/api/v1/status", []route{{http.MethodGet, s.handleStatus}}},
		{"/api/v1/buttons/{name}/press", []route{{http.MethodPost, s.handlePress}}},
		{"/api/v1/door/open", []route{{http.MethodPost, s.handleDoorOpen}}},
		{"/api/v1/calls", []route{{http.MethodPost, s.handleCall}}},
		{"/api/v1/calls/current", []route{{http.MethodDelete, s.handleHangup}}},
		{"/api/v1/events", []route{{http.MethodGet, s.handleEvents}}},
		{"/metrics", []route{{http.MethodGet, s.handleMetrics}}},
	}
	for _, p := range table {
		var allow []string
		for _, rt := range p.routes {
			mux.HandleFunc(rt.method+" "+p.path, rt.h)
			allow = append(allow, rt.method)
			if rt.method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
		allowed := strings.Join(allow, ", ")
		mux.HandleFunc(p.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allowed)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; allowed: "+allowed)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint")
	})
	return mux
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st := s.cfg.Station.Status()
	st.Levels.CaptureDBFS = finiteDBFS(st.Levels.CaptureDBFS)
	st.Levels.PlaybackDBFS = finiteDBFS(st.Levels.PlaybackDBFS)
	if st.Call != nil {
		c := *st.Call
		c.JitterMS = finite(c.JitterMS)
		c.RTTMS = finite(c.RTTMS)
		st.Call = &c
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handlePress(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Station.Press(r.PathValue("name")); err != nil {
		s.writeStationError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDoorOpen(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Station.OpenDoor(); err != nil {
		s.writeStationError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// CallRequest is the body of POST /api/v1/calls.
type CallRequest struct {
	// Target is the URI to call: sip:, sips: or tel:.
	Target string `json:"target"`
}

// CallResponse is the body of a 201 answer to POST /api/v1/calls.
type CallResponse struct {
	// CallID identifies the call placed.
	CallID string `json:"call_id"`
}

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	var req CallRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if msg := checkTarget(req.Target); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	id, err := s.cfg.Station.Call(req.Target)
	if err != nil {
		s.writeStationError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/calls/current")
	writeJSON(w, http.StatusCreated, CallResponse{CallID: id})
}

func (s *Server) handleHangup(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Station.Hangup(); err != nil {
		s.writeStationError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkTarget returns why target is not a URI we can call, or "".
func checkTarget(t string) string {
	if t == "" {
		return "target is required"
	}
	if len(t) > 256 {
		return "target is too long"
	}
	for _, c := range t {
		if c <= ' ' || c == 0x7f {
			return "target must not contain spaces or control characters"
		}
	}
	scheme, rest, ok := strings.Cut(t, ":")
	if !ok || rest == "" {
		return "target must be a sip:, sips: or tel: URI"
	}
	switch strings.ToLower(scheme) {
	case "sip", "sips", "tel":
	default:
		return "target must be a sip:, sips: or tel: URI"
	}
	return ""
}

// decodeJSON reads exactly one JSON object into v, answering 400 or 413 and
// returning false when it cannot.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body larger than 4 KiB")
			return false
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "bad JSON: trailing data after the object")
		return false
	}
	return true
}

// writeStationError maps an error from the Station to an HTTP status.
func (s *Server) writeStationError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrBusy):
		code = http.StatusConflict
	case errors.Is(err, ErrInvalid):
		code = http.StatusBadRequest
	default:
		s.log.Warn("http request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, code, err.Error())
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "encoding response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func finiteDBFS(v float64) float64 {
	if math.IsNaN(v) || v < MinDBFS {
		return MinDBFS
	}
	if math.IsInf(v, 1) {
		return 0
	}
	return v
}
