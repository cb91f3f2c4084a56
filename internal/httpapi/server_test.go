package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func do(t *testing.T, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// errorOf returns the "error" member of a JSON error body, failing the test
// when the body is not one.
func errorOf(t *testing.T, resp *http.Response, b []byte) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Fatalf("error body %q is not {\"error\": ...}: %v", b, err)
	}
	return e.Error
}

func TestNewValidates(t *testing.T) {
	st := newFakeStation()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"loopback v4 without token", Config{Listen: "127.0.0.1:8080", Station: st}, true},
		{"loopback v6 without token", Config{Listen: "[::1]:8080", Station: st}, true},
		{"localhost without token", Config{Listen: "localhost:8080", Station: st}, true},
		{"all interfaces without token", Config{Listen: ":8080", Station: st}, false},
		{"0.0.0.0 without token", Config{Listen: "0.0.0.0:8080", Station: st}, false},
		{"LAN address without token", Config{Listen: "192.168.1.5:8080", Station: st}, false},
		{"LAN address with token", Config{Listen: "192.168.1.5:8080", Token: "s3cret", Station: st}, true},
		{"no station", Config{Listen: "127.0.0.1:8080"}, false},
		{"no listen", Config{Station: st}, false},
		{"bad listen", Config{Listen: "127.0.0.1", Station: st}, false},
		{"token with space", Config{Listen: ":80", Token: "a b", Station: st}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("New(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1:80": true, "127.1.2.3:80": true, "[::1]:80": true, "localhost:80": true,
		"LOCALHOST:80": true, ":80": false, "0.0.0.0:80": false, "[::]:80": false,
		"10.0.0.1:80": false, "example.org:80": false, "garbage": false,
	}
	for addr, want := range tests {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestStatus(t *testing.T) {
	st := newFakeStation()
	st.status.Call = &CallStatus{ID: "c1", State: "answered", Direction: "outgoing", Remote: "sip:flat1@pbx", Codec: "G722", RTPSent: 10, RTPReceived: 9, Lost: 1, JitterMS: 2.5, RTTMS: 40}
	_, base := startServer(t, Config{Station: st}, nil)
	resp, b := do(t, "GET", base+"/api/v1/status", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "registration", "call", "door", "levels", "stats"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status has no %q: %s", k, b)
		}
	}
	var got Status
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != "1.2.3" || got.Registration.State != "registered" || got.Registration.Expires != 300 ||
		got.Call == nil || got.Call.RTPSent != 10 || got.Call.JitterMS != 2.5 ||
		got.Door.Open == nil || *got.Door.Open || got.Levels.CaptureDBFS != -30.5 || got.Stats.DoorOpens != 5 {
		t.Errorf("status round trip = %+v", got)
	}
	for _, k := range []string{`"rtp_sent":10`, `"jitter_ms":2.5`, `"capture_dbfs":-30.5`, `"calls_answered":2`, `"wrong_codes":1`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("status JSON lacks %s: %s", k, b)
		}
	}
}

func TestStatusNoCallAndSilence(t *testing.T) {
	st := newFakeStation()
	st.status.Door.Open = nil
	st.status.Levels.CaptureDBFS = math.Inf(-1)
	_, base := startServer(t, Config{Station: st}, nil)
	resp, b := do(t, "GET", base+"/api/v1/status", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	for _, k := range []string{`"call":null`, `"open":null`, `"capture_dbfs":-120`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("status JSON lacks %s: %s", k, b)
		}
	}
}

func TestPress(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)
	resp, b := do(t, "POST", base+"/api/v1/buttons/flat1/press", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("press flat1: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", base+"/api/v1/buttons/nope/press", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("press nope: %d %s", resp.StatusCode, b)
	}
	if e := errorOf(t, resp, b); !strings.Contains(e, "nope") {
		t.Errorf("error %q does not name the button", e)
	}
	if len(st.presses) != 1 || st.presses[0] != "flat1" {
		t.Errorf("presses = %v", st.presses)
	}
}

func TestDoorOpen(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)
	resp, b := do(t, "POST", base+"/api/v1/door/open", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("door open: %d %s", resp.StatusCode, b)
	}
	if st.opens != 1 {
		t.Errorf("opens = %d", st.opens)
	}
	st.mu.Lock()
	st.doorErr = errors.New("relay driver gone")
	st.mu.Unlock()
	resp, b = do(t, "POST", base+"/api/v1/door/open", "")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("door open failing: %d %s", resp.StatusCode, b)
	}
	if e := errorOf(t, resp, b); !strings.Contains(e, "relay driver gone") {
		t.Errorf("error %q", e)
	}
}

func TestCalls(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)

	resp, b := do(t, "DELETE", base+"/api/v1/calls/current", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("hangup without call: %d %s", resp.StatusCode, b)
	}
	errorOf(t, resp, b)

	resp, b = do(t, "POST", base+"/api/v1/calls", `{"target":"sip:flat1@pbx.example.org"}`, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("call: %d %s", resp.StatusCode, b)
	}
	var cr CallResponse
	if err := json.Unmarshal(b, &cr); err != nil || cr.CallID != "call-1" {
		t.Fatalf("call answer %s: %v", b, err)
	}
	if !strings.Contains(string(b), `"call_id":"call-1"`) {
		t.Errorf("call answer %s", b)
	}

	resp, b = do(t, "POST", base+"/api/v1/calls", `{"target":"sip:flat2@pbx.example.org"}`)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second call: %d %s", resp.StatusCode, b)
	}
	errorOf(t, resp, b)

	resp, b = do(t, "DELETE", base+"/api/v1/calls/current", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("hangup: %d %s", resp.StatusCode, b)
	}
	if len(st.calls) != 1 || st.calls[0] != "sip:flat1@pbx.example.org" {
		t.Errorf("calls = %v", st.calls)
	}
}

func TestCallBadRequests(t *testing.T) {
	st := newFakeStation()
	_, base := startServer(t, Config{Station: st}, nil)
	tests := []struct {
		name, body string
		code       int
	}{
		{"empty body", "", 400},
		{"not JSON", "target=sip:x", 400},
		{"truncated", `{"target":"sip:x@y"`, 400},
		{"wrong type", `{"target":5}`, 400},
		{"unknown field", `{"target":"sip:x@y","video":true}`, 400},
		{"trailing object", `{"target":"sip:x@y"}{"target":"sip:z@y"}`, 400},
		{"missing target", `{}`, 400},
		{"http target", `{"target":"http://example.org"}`, 400},
		{"no scheme", `{"target":"flat1"}`, 400},
		{"space in target", `{"target":"sip:a b@c"}`, 400},
		{"newline in target", `{"target":"sip:a\r\nVia: x"}`, 400},
		{"too long target", `{"target":"sip:` + strings.Repeat("a", 300) + `"}`, 400},
		{"body over 4 KiB", `{"target":"sip:x@y","pad":"` + strings.Repeat("x", 5000) + `"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := do(t, "POST", base+"/api/v1/calls", tt.body)
			if resp.StatusCode != tt.code {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, tt.code)
			}
			errorOf(t, resp, b)
		})
	}
	if len(st.calls) != 0 {
		t.Errorf("bad requests placed calls: %v", st.calls)
	}

	// A body just under the limit is read.
	pad := strings.Repeat(" ", MaxBodyBytes-40)
	resp, b := do(t, "POST", base+"/api/v1/calls", `{"target":"sip:x@y"}`+pad)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("body under limit: %d %s", resp.StatusCode, b)
	}

	// The station's own ErrInvalid is a 400 too.
	st.mu.Lock()
	st.inCall, st.callErr = false, ErrInvalid
	st.mu.Unlock()
	resp, b = do(t, "POST", base+"/api/v1/calls", `{"target":"tel:+4930123"}`)
	if resp.StatusCode != 400 {
		t.Fatalf("station ErrInvalid: %d %s", resp.StatusCode, b)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	_, base := startServer(t, Config{Station: newFakeStation()}, nil)
	tests := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/api/v1/", 404, ""},
		{"GET", "/api/v1/buttons/flat1", 404, ""},
		{"POST", "/api/v1/status", 405, "GET, HEAD"},
		{"GET", "/api/v1/door/open", 405, "POST"},
		{"GET", "/api/v1/buttons/flat1/press", 405, "POST"},
		{"GET", "/api/v1/calls", 405, "POST"},
		{"POST", "/api/v1/calls/current", 405, "DELETE"},
		{"POST", "/api/v1/events", 405, "GET, HEAD"},
		{"PUT", "/metrics", 405, "GET, HEAD"},
	}
	for _, tt := range tests {
		resp, b := do(t, tt.method, base+tt.path, "")
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, resp.StatusCode, b, tt.code)
			continue
		}
		errorOf(t, resp, b)
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

func TestAuth(t *testing.T) {
	st := newFakeStation()
	// A LAN listen address needs the token; the check is in the handler, so
	// drive it directly with requests from a LAN client.
	s, err := New(Config{Listen: "192.168.1.5:8080", Token: "s3cret", Station: st})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	paths := []struct{ method, path string }{
		{"GET", "/api/v1/status"}, {"POST", "/api/v1/door/open"}, {"GET", "/metrics"},
		{"GET", "/api/v1/events"}, {"POST", "/api/v1/buttons/flat1/press"}, {"GET", "/nope"},
	}
	bad := []string{"", "s3cret", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret2", "Basic czNjcmV0", "Bearer S3CRET"}
	for _, p := range paths {
		for _, a := range bad {
			req := httptest.NewRequest(p.method, p.path, nil)
			req.RemoteAddr = "192.168.1.20:50000"
			if a != "" {
				req.Header.Set("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d, want 401", p.method, p.path, a, rec.Code)
				continue
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q", got)
			}
			errorOf(t, rec.Result(), rec.Body.Bytes())
		}
	}
	if st.opens != 0 || len(st.presses) != 0 {
		t.Fatalf("unauthenticated requests reached the station")
	}
	for _, a := range []string{"Bearer s3cret", "bearer s3cret", "Bearer  s3cret "} {
		req := httptest.NewRequest("POST", "/api/v1/door/open", nil)
		req.RemoteAddr = "192.168.1.20:50000"
		req.Header.Set("Authorization", a)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			t.Errorf("with %q: %d %s, want 204", a, rec.Code, rec.Body)
		}
	}
}

func TestAuthOverHTTP(t *testing.T) {
	// A token set on a loopback listener is enforced too.
	_, base := startServer(t, Config{Token: "tok", Station: newFakeStation()}, nil)
	resp, b := do(t, "GET", base+"/api/v1/status", "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("without token: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", base+"/api/v1/status", "", "Authorization", "Bearer tok")
	if resp.StatusCode != 200 {
		t.Fatalf("with token: %d %s", resp.StatusCode, b)
	}
	// Without a token, loopback needs none.
	_, base = startServer(t, Config{Station: newFakeStation()}, nil)
	resp, b = do(t, "GET", base+"/api/v1/status", "")
	if resp.StatusCode != 200 {
		t.Fatalf("loopback without token: %d %s", resp.StatusCode, b)
	}
}

func TestBodyLimitOnEveryEndpoint(t *testing.T) {
	// Endpoints that ignore the body still never read more than the limit.
	st := newFakeStation()
	s, err := New(Config{Listen: "127.0.0.1:0", Station: st})
	if err != nil {
		t.Fatal(err)
	}
	var read int64
	h := s.limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read, _ = io.Copy(io.Discard, r.Body)
	}))
	req := httptest.NewRequest("POST", "/api/v1/door/open", strings.NewReader(strings.Repeat("x", 10000)))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if read != MaxBodyBytes {
		t.Errorf("read %d bytes, want at most %d", read, MaxBodyBytes)
	}
}

func TestServeListenError(t *testing.T) {
	first, _ := startServer(t, Config{Station: newFakeStation()}, nil)
	s, err := New(Config{Listen: first.Addr().String(), Station: newFakeStation()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != nil {
		t.Error("Addr before Serve is not nil")
	}
	if err := s.Serve(t.Context()); err == nil {
		t.Error("Serve on a port in use succeeded")
	}
}
