package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua"
)

// startGuarded runs the station of a config with Digest-protected
// incoming calls (user concierge) on a free port, until the test ends;
// it returns the port and the JSON debug log.
func startGuarded(t *testing.T) (int, *peertest.Buffer) {
	t.Helper()
	port := peertest.FreePort(t, "udp")
	path := writeConfig(t, fmt.Sprintf("[sip]\nlisten = \"127.0.0.1:%d\"\nuser = \"door\"\n"+
		"[audio]\nsource = \"null\"\nsink = \"null\"\n"+
		"[answer]\nauto = true\nallow = [\"127.0.0.1/32\"]\nusers = { concierge = \"Tr0ub4dor-3\" }\n", port))
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := new(peertest.Buffer)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- serve(ctx, cfg, log, logs, func(*sipua.UA, *station) { close(ready) }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the station did not stop within 10 s")
		}
	})
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("the station did not start:\n%s", logs.String())
	}
	return port, logs
}

// sipvicious runs one of sipvicious's tools (svmap, svwar) with args for
// at most 60 s, on 127.0.0.1 only, with its session files in a temporary
// HOME; it returns the output.
func sipvicious(t *testing.T, tool string, args ...string) string {
	t.Helper()
	path := peertest.NeedTool(t, tool)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	return out.String()
}

// TestScannersLearnNothing runs sipvicious against the station as the
// config sets it up (answer.users, answer.allow). svmap may find it; svwar
// must find no extension by REGISTER, OPTIONS or INVITE, for the station
// answers every user part of the Request-URI and To alike (it has one
// user, and calls to any name reach it), including the names it does have
// (door, concierge).
func TestScannersLearnNothing(t *testing.T) {
	port, _ := startGuarded(t)
	local := []string{"-x", "127.0.0.1", "-b", "127.0.0.1"}
	out := sipvicious(t, "svmap", append(local, "-p", strconv.Itoa(port), "-P", strconv.Itoa(peertest.FreePort(t, "udp")), "127.0.0.1")...)
	t.Logf("svmap: %s", strings.Join(strings.Fields(out), " "))
	names := filepath.Join(t.TempDir(), "names.txt")
	if err := os.WriteFile(names, []byte("door\nconcierge\nadmin\nflat1\n100\n101\n1000\nintercom\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"REGISTER", "OPTIONS", "INVITE"} {
		args := append(local, "-m", method, "-d", names, "--force", "-p", strconv.Itoa(port),
			"-P", strconv.Itoa(peertest.FreePort(t, "udp")), "127.0.0.1")
		out := sipvicious(t, "svwar", args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		t.Logf("svwar -m %s: %s", method, lines[len(lines)-1])
		for _, name := range []string{"door", "concierge"} {
			if strings.Contains(out, "| "+name) || strings.Contains(out, "'"+name+"' exists") {
				t.Errorf("svwar -m %s found extension %s:\n%s", method, name, out)
			}
		}
		if strings.Contains(out, "exists") {
			t.Errorf("svwar -m %s found extensions:\n%s", method, out)
		}
	}
}
