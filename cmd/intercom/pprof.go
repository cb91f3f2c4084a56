//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // the profiles, on http.DefaultServeMux
	"os"
)

// A build with the pprof tag (go build -tags pprof) serves the runtime's
// profiles on the address in INTERCOM_PPROF, such as 127.0.0.1:6060, for
// `go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=30`.
// The firmware is built without it: the profiler costs about 0.5 MB.
func init() {
	addr := os.Getenv("INTERCOM_PPROF")
	if addr == "" {
		return
	}
	go func() {
		slog.Error("pprof server ended", "err", http.ListenAndServe(addr, nil))
	}()
}
