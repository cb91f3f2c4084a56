package pace

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWakeUp is what one wake-up of a paced device costs the
// process, sleeping on a runtime timer or waiting on the pollable
// periodic clock: context switches (all threads) and CPU time (user and
// system) per wake-up, as custom metrics. ns/op is the period, 2 ms.
func BenchmarkWakeUp(b *testing.B) {
	for _, name := range []string{"runtime-timer", "timerfd"} {
		b.Run(name, func(b *testing.B) {
			p := New(2 * time.Millisecond)
			defer p.Close()
			if name == "runtime-timer" {
				p.Close()
			} else if p.clock == nil {
				b.Fatal("no pollable clock")
			}
			p.Wait() // starts the schedule
			b.ReportAllocs()
			sw0, cpu0 := contextSwitches(b), cpuTime()
			for b.Loop() {
				p.Wait()
			}
			n := float64(b.N)
			b.ReportMetric(float64(contextSwitches(b)-sw0)/n, "ctxsw/op")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu-µs/op")
		})
	}
}

func contextSwitches(b *testing.B) int {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, task := range tasks {
		s, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(s), "\n") {
			if k, v, _ := strings.Cut(l, ":"); strings.HasSuffix(k, "ctxt_switches") {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
