package pace

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// clock is a periodic timerfd that the network poller waits on. A
// goroutine that sleeps on a runtime timer costs about four context
// switches a wake-up (the runtime's monitor thread is woken at the timer's
// deadline too); one parked on a pollable descriptor costs one. And as the
// kernel keeps the schedule, a frame needs no system call to set the
// timer: the read that takes the expirations sets the next one. With a
// frame every 20 ms that is most of what an idle call costs.
type clock struct {
	f      *os.File
	rc     syscall.RawConn
	period time.Duration
	due    time.Time             // the next expiry, or a little before it
	n      uint64                // expirations read
	err    unix.Errno            // why they could not be
	read   func(fd uintptr) bool // the method value, made once: a wait allocates nothing
}

func newClock() (ticker, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	c := &clock{f: os.NewFile(uintptr(fd), "timerfd")}
	if c.rc, err = c.f.SyscallConn(); err != nil {
		c.f.Close()
		return nil, err
	}
	c.read = c.readIfDue
	return c, nil
}

func (c *clock) start(period time.Duration) error {
	ts := unix.NsecToTimespec(period.Nanoseconds())
	spec := unix.ItimerSpec{Interval: ts, Value: ts}
	// The kernel's schedule starts at its own now, a little later: due
	// is never after the expiry it stands for.
	c.period, c.due = period, time.Now().Add(period)
	var err error
	if cerr := c.rc.Control(func(fd uintptr) { err = unix.TimerfdSettime(int(fd), 0, &spec, nil) }); cerr != nil {
		return cerr
	}
	return err
}

func (c *clock) wait() (uint64, error) {
	c.n, c.err = 0, 0
	if err := c.rc.Read(c.read); err != nil {
		return 0, err
	}
	if c.err != 0 {
		return 0, c.err
	}
	return c.n, nil
}

// readIfDue is the poller's read callback. Before the next expiry is due
// it parks the caller without a read, which would fail: the poller forgets
// what it was told before the callback runs, but the expiry is yet to
// come, so it wakes the caller. Once due, it reads the expirations (the
// read sets the next one); false (the timer has not fired yet) parks the
// caller until it has.
func (c *clock) readIfDue(fd uintptr) bool {
	if time.Now().Before(c.due) {
		return false
	}
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.n)), unsafe.Sizeof(c.n))
	if e == unix.EAGAIN {
		return false
	}
	c.err = e
	if e == 0 {
		c.due = c.due.Add(time.Duration(c.n) * c.period)
	}
	return true
}

func (c *clock) close() error { return c.f.Close() }
