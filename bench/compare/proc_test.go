package compare

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time a process has used, all its threads
// together: the scheduler's own account in nanoseconds (the first field of
// /proc/PID/task/TID/schedstat), where utime and stime count 10 ms ticks.
// Both systems keep their threads through a call, so none is lost.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, task.Name()))
		if err != nil {
			continue // a thread that just ended
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			t.Fatalf("/proc/%d/task/%s/schedstat: %q", pid, task.Name(), b)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/task/%s/schedstat: %v", pid, task.Name(), err)
		}
		total += time.Duration(ns)
	}
	return total
}

// rss is a process's resident memory, in KiB.
type rss struct {
	total, peak int // VmRSS, VmHWM
	anon, file  int // RssAnon (heap, stacks), RssFile (mapped files: code)
}

// memory returns a process's resident set now.
func memory(t *testing.T, pid int) rss {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var r rss
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			r.total = n
		case "VmHWM":
			r.peak = n
		case "RssAnon":
			r.anon = n
		case "RssFile":
			r.file = n
		}
	}
	if r.total == 0 {
		t.Fatalf("/proc/%d/status: no VmRSS", pid)
	}
	return r
}

// contextSwitches returns the voluntary and involuntary context switches
// of all a process's threads: how often it woke up.
func contextSwitches(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err != nil {
			continue // a thread that just ended
		}
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, ":")
			if k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches" {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}

// pin binds every thread of a process to one CPU (a number, as a string);
// threads it starts later inherit that.
func pin(t *testing.T, pid int, cpu string) {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(cpu))
	if err != nil || n < 0 || n >= runtime.NumCPU() {
		t.Fatalf("-compare.cpus: %q is not a CPU of this machine (0-%d)", cpu, runtime.NumCPU()-1)
	}
	var set unix.CPUSet
	set.Set(n)
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			t.Fatalf("pin thread %d of %d to CPU %d: %v", tid, pid, n, err)
		}
	}
}
