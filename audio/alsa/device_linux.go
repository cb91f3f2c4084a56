//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package alsa

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is an open PCM stream, for playback or for capture. Read and Write
// are for one goroutine at a time; Params and Stats may be called from any.
//
// The descriptor is non-blocking and sits in Go's network poller: a Read or
// Write that finds no period ready parks its goroutine there until the card
// signals one (AvailMin is one period), instead of blocking a thread in the
// kernel. A blocking system call costs several context switches per 20 ms
// frame (the runtime's monitor thread takes the processor back and is woken
// at the call's exit); a wait in the poller costs one.
type Device struct {
	fd        int      // for the control ioctls; file owns it
	file      *os.File // the same descriptor, in the poller; closes it
	rc        syscall.RawConn
	stream    int // streamPlayback or streamCapture
	path      string
	params    Params
	sw        swParams // as last set, for Duplex.Start
	buf       []byte   // one period in the hardware format
	frameSize int      // bytes per hardware frame
	x         xferI    // reused for every transfer: no allocation per frame
	st        pcmStatus

	// The state of a transfer, for the functions handed to the RawConn:
	// made once, in open, so that a frame allocates nothing.
	req    uintptr    // ioctlPCMReadIFrames or ioctlPCMWriteIFrames
	errno  unix.Errno // of the last READI or WRITEI
	xfer   func(fd uintptr) bool
	pollFn func(fd uintptr)
	pfd    [1]unix.PollFd
	perr   error // of poll(2), when the file is not in the poller

	frames, xruns, suspends, errs atomic.Uint64
	closed                        atomic.Bool
}

func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

func ioctlVal(fd int, req, val uintptr) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, val)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// The build fails here if a struct does not have the size of the C header's
// on this architecture (abi_test.go checks offsets too).
var (
	_ [unsafe.Sizeof(hwParams{}) - 608]byte
	_ [608 - unsafe.Sizeof(hwParams{})]byte
	_ [unsafe.Sizeof(swParams{}) - 136]byte
	_ [136 - unsafe.Sizeof(swParams{})]byte
	_ [unsafe.Sizeof(pcmStatus{}) - 152]byte
	_ [152 - unsafe.Sizeof(pcmStatus{})]byte
	_ [unsafe.Sizeof(xferI{}) - 24]byte
	_ [24 - unsafe.Sizeof(xferI{})]byte
)

// kernelRefiner refines through SNDRV_PCM_IOCTL_HW_REFINE on an open PCM.
type kernelRefiner struct{ fd int }

func (k kernelRefiner) refine(p *hwParams) error {
	if err := ioctlPtr(k.fd, ioctlPCMHWRefine, unsafe.Pointer(p)); err != nil {
		if err == unix.EINVAL {
			return errEmpty
		}
		return err
	}
	return nil
}

// OpenPlayback opens the PCM device named by spec ("hw:CARD=x,DEV=n",
// "hw:0,0", "hw:x", "default") for playback, negotiating the configuration
// closest to want (see [Params]). The stream starts by itself once nearly a
// buffer has been written.
func OpenPlayback(spec string, want Params) (*Device, error) {
	return open(spec, want, streamPlayback, false)
}

// OpenCapture opens the PCM device named by spec for capture, negotiating
// the configuration closest to want. The stream starts with the first Read.
func OpenCapture(spec string, want Params) (*Device, error) {
	return open(spec, want, streamCapture, false)
}

func pcmPath(card, dev, stream int) string {
	return fmt.Sprintf("/dev/snd/pcmC%dD%d%c", card, dev, "pc"[stream])
}

// openPCMFile opens a PCM non-blocking: a busy device fails instead of
// blocking open, and the transfers return EAGAIN instead of blocking, so
// that they can wait in Go's poller (see [Device]).
func openPCMFile(path string) (int, error) {
	return unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
}

func open(specStr string, want Params, stream int, manualStart bool) (*Device, error) {
	sp, err := parseSpec(specStr)
	if err != nil {
		return nil, err
	}
	card, err := resolveCard(sp)
	if err != nil {
		return nil, fmt.Errorf("alsa: %s: %w", specStr, err)
	}
	d := &Device{stream: stream, path: pcmPath(card, sp.dev, stream)}
	if d.fd, err = openPCMFile(d.path); err != nil {
		return nil, fmt.Errorf("alsa: open %s: %w", d.path, err)
	}
	// A non-blocking descriptor of a device that supports poll goes into
	// the poller. d.fd stays valid for as long as the file is open; the
	// file's Fd method must not be called, as it makes it blocking again.
	d.file = os.NewFile(uintptr(d.fd), d.path)
	if d.rc, err = d.file.SyscallConn(); err != nil {
		d.file.Close()
		return nil, fmt.Errorf("alsa: %s: %w", d.path, err)
	}
	d.xfer, d.pollFn = d.ioctlXfer, d.pollXfer
	if err := d.setup(want, manualStart); err != nil {
		d.file.Close()
		return nil, fmt.Errorf("alsa: %s (%s): %w", specStr, d.path, err)
	}
	return d, nil
}

func (d *Device) setup(want Params, manualStart bool) error {
	var ver int32
	if err := ioctlPtr(d.fd, ioctlPCMPVersion, unsafe.Pointer(&ver)); err != nil {
		return fmt.Errorf("PVERSION: %w", err)
	}
	if ver>>16 != 2 {
		return fmt.Errorf("PCM protocol %d.%d.%d, want 2.x", ver>>16, ver>>8&0xff, ver&0xff)
	}
	// Tell the kernel which protocol we speak; old kernels lack the call.
	v := int32(pcmVersion)
	_ = ioctlPtr(d.fd, ioctlPCMUserPVer, unsafe.Pointer(&v))

	hp, got, err := negotiate(kernelRefiner{d.fd}, want)
	if err != nil {
		return err
	}
	hp.Rmask = ^uint32(0)
	if err := ioctlPtr(d.fd, ioctlPCMHWParams, unsafe.Pointer(&hp)); err != nil {
		return fmt.Errorf("HW_PARAMS %v: %w", got, err)
	}
	d.params = paramsFromHW(&hp, got.Channels)
	d.frameSize = d.params.Format.bytesPerSample() * d.params.HWChannels
	d.buf = make([]byte, d.params.PeriodFrames*d.frameSize)

	start := uint64(1)
	if d.stream == streamPlayback {
		start = uint64(max(d.params.BufferFrames-d.params.PeriodFrames, d.params.PeriodFrames))
	}
	if manualStart {
		start = 1 << 62 // past the boundary: only START starts it
	}
	if err := d.setSW(start); err != nil {
		return err
	}
	if err := ioctlVal(d.fd, ioctlPCMPrepare, 0); err != nil {
		return fmt.Errorf("PREPARE: %w", err)
	}
	return nil
}

func (d *Device) setSW(startThreshold uint64) error {
	d.sw = swParams{
		PeriodStep:     1,
		AvailMin:       uint64(d.params.PeriodFrames),
		StartThreshold: startThreshold,
		StopThreshold:  uint64(d.params.BufferFrames),
		Proto:          pcmVersion,
	}
	if err := ioctlPtr(d.fd, ioctlPCMSWParams, unsafe.Pointer(&d.sw)); err != nil {
		return fmt.Errorf("SW_PARAMS: %w", err)
	}
	return nil
}

// Params returns the configuration the hardware runs.
func (d *Device) Params() Params { return d.params }

// Stats returns the counters since the device was opened.
func (d *Device) Stats() Stats {
	return Stats{Frames: d.frames.Load(), Xruns: d.xruns.Load(), Suspends: d.suspends.Load(), Errors: d.errs.Load()}
}

// Write plays interleaved int16 frames of Params().Channels channels,
// blocking until all are queued. An underrun is recovered (PREPARE, then the
// stream restarts once enough is queued) and counted in Stats.
func (d *Device) Write(frames []int16) error {
	if d.stream != streamPlayback {
		return errors.New("alsa: Write on a capture device")
	}
	ch := d.params.Channels
	if len(frames)%ch != 0 {
		return fmt.Errorf("alsa: Write: %d samples is not a whole number of %d-channel frames", len(frames), ch)
	}
	for len(frames) > 0 {
		n := encodeFrames(d.buf, frames, d.params.Format, ch, d.params.HWChannels)
		if err := d.transfer(n, ioctlPCMWriteIFrames); err != nil {
			return err
		}
		frames = frames[n*ch:]
	}
	return nil
}

// Read captures interleaved int16 frames of Params().Channels channels into
// frames, blocking until it is full. An overrun is recovered (PREPARE and
// restart; the frames lost in it are skipped) and counted in Stats.
func (d *Device) Read(frames []int16) error {
	if d.stream != streamCapture {
		return errors.New("alsa: Read on a playback device")
	}
	ch := d.params.Channels
	if len(frames)%ch != 0 {
		return fmt.Errorf("alsa: Read: %d samples is not a whole number of %d-channel frames", len(frames), ch)
	}
	for len(frames) > 0 {
		n := min(len(frames)/ch, d.params.PeriodFrames)
		if err := d.transfer(n, ioctlPCMReadIFrames); err != nil {
			return err
		}
		decodeFrames(frames[:n*ch], d.buf[:n*d.frameSize], d.params.Format, d.params.HWChannels, ch)
		frames = frames[n*ch:]
	}
	return nil
}

// transfer moves n frames between d.buf and the device, recovering xruns.
func (d *Device) transfer(n int, req uintptr) error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	d.req = req
	polled := true // false once the poller could not wait, for this transfer
	for off := 0; off < n; {
		d.x = xferI{Buf: unsafe.Pointer(&d.buf[off*d.frameSize]), Frames: uint64(n - off)}
		err := d.transferOnce(&polled)
		if err != nil && err != unix.EAGAIN && d.closed.Load() {
			return os.ErrClosed // Close dropped the stream or closed the file
		}
		switch err {
		case nil:
			off += int(d.x.Result)
			d.frames.Add(uint64(d.x.Result))
		case unix.EAGAIN: // waited in poll(2), or it timed out: try again
		case unix.EPIPE:
			d.xruns.Add(1)
			if err := ioctlVal(d.fd, ioctlPCMPrepare, 0); err != nil {
				d.errs.Add(1)
				return fmt.Errorf("alsa: %s: recover from xrun: PREPARE: %w", d.path, err)
			}
		case unix.ESTRPIPE:
			d.suspends.Add(1)
			if err := d.resume(); err != nil {
				d.errs.Add(1)
				return fmt.Errorf("alsa: %s: recover from suspend: %w", d.path, err)
			}
		default:
			d.errs.Add(1)
			return fmt.Errorf("alsa: %s: transfer: %w", d.path, err)
		}
	}
	return nil
}

// transferOnce does one READI or WRITEI of d.x. In the poller it parks the
// goroutine until the card has a period to read or room to write, and
// returns the ioctl's error, nil when it moved frames. When the poller
// cannot wait (the driver's file is not pollable), *polled turns false, and
// from then on transferOnce waits in poll(2) and returns EAGAIN after it.
func (d *Device) transferOnce(polled *bool) error {
	var err error
	if *polled {
		if d.stream == streamCapture {
			err = d.rc.Read(d.xfer)
		} else {
			err = d.rc.Write(d.xfer)
		}
		if err == nil {
			if d.errno != 0 {
				return d.errno
			}
			return nil
		}
		if d.closed.Load() || errors.Is(err, os.ErrClosed) {
			return os.ErrClosed // Close woke the goroutine parked in the poller
		}
		*polled = false
	}
	// Poll inside Control, so that a Close meanwhile cannot free the
	// descriptor (it waits for this to return; its DROP ends the poll).
	d.perr = nil
	if err = d.rc.Control(d.pollFn); err != nil {
		if d.closed.Load() || errors.Is(err, os.ErrClosed) {
			return os.ErrClosed
		}
		return err
	}
	if d.perr != nil {
		return d.perr
	}
	if d.errno != 0 {
		return d.errno
	}
	return nil
}

// ioctlXfer is the RawConn callback of a transfer: the ioctl, with a raw
// system call (it never blocks on the non-blocking descriptor, so the
// scheduler need not hear of it). It returns false on EAGAIN, which parks
// the goroutine in the poller.
func (d *Device) ioctlXfer(fd uintptr) bool {
	for {
		_, _, d.errno = unix.RawSyscall(unix.SYS_IOCTL, fd, d.req, uintptr(unsafe.Pointer(&d.x)))
		if d.errno != unix.EINTR {
			return d.errno != unix.EAGAIN
		}
	}
}

// pollTimeout bounds a wait in poll(2), so that a Close can never wait on
// it for long.
const pollTimeout = 200 // ms

// pollXfer is ioctlXfer for a file that is not in the poller: on EAGAIN it
// waits in poll(2) for the card, leaving d.errno at EAGAIN for a retry.
func (d *Device) pollXfer(fd uintptr) {
	if d.ioctlXfer(fd) {
		return
	}
	events := int16(unix.POLLOUT)
	if d.stream == streamCapture {
		events = unix.POLLIN
	}
	d.pfd[0] = unix.PollFd{Fd: int32(fd), Events: events}
	if _, err := unix.Poll(d.pfd[:], pollTimeout); err != nil && err != unix.EINTR {
		d.perr = err
	}
}

// resume waits for a suspended stream to come back (RESUME answers EAGAIN
// until the hardware is ready), then prepares it when the driver cannot
// resume, as alsa-lib's snd_pcm_recover does.
func (d *Device) resume() error {
	var err error
	for i := 0; i < 500; i++ { // up to about 5 s
		if err = ioctlVal(d.fd, ioctlPCMResume, 0); err != unix.EAGAIN {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		if err := ioctlVal(d.fd, ioctlPCMPrepare, 0); err != nil {
			return fmt.Errorf("PREPARE: %w", err)
		}
	}
	return nil
}

// Delay returns the frames between the application and the converter:
// for playback, how many queued frames are still to be heard; for capture,
// how many captured frames are waiting to be read. An echo canceller adds
// the two to know how far the microphone lags the far end. Call it from the
// goroutine that reads or writes the device.
func (d *Device) Delay() (int, error) {
	if err := ioctlPtr(d.fd, ioctlPCMStatus, unsafe.Pointer(&d.st)); err != nil {
		return 0, fmt.Errorf("alsa: %s: STATUS: %w", d.path, err)
	}
	return int(d.st.Delay), nil
}

// Drain blocks until all queued playback frames have been played, then
// stops the stream; the next Write restarts it.
func (d *Device) Drain() error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	// On a non-blocking descriptor DRAIN would only start draining and
	// answer EAGAIN: block for it, and be non-blocking again before
	// PREPARE, which sets the mode of the transfers that follow.
	if err := unix.SetNonblock(d.fd, false); err != nil {
		return fmt.Errorf("alsa: %s: DRAIN: %w", d.path, err)
	}
	err := ioctlVal(d.fd, ioctlPCMDrain, 0)
	if err := unix.SetNonblock(d.fd, true); err != nil {
		return fmt.Errorf("alsa: %s: after DRAIN: %w", d.path, err)
	}
	if err != nil && err != unix.EPIPE {
		return fmt.Errorf("alsa: %s: DRAIN: %w", d.path, err)
	}
	return ioctlVal(d.fd, ioctlPCMPrepare, 0)
}

// Stop stops the stream at once (DROP), discarding what is queued; a Read
// or Write waiting in another goroutine returns with an error. Use it to end
// a media loop, then Close from the loop's owner once the loop has returned.
func (d *Device) Stop() error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	return ioctlVal(d.fd, ioctlPCMDrop, 0)
}

// Close stops the stream at once (DROP) and closes the device. Further
// calls do nothing. A Read or Write waiting for the card in another
// goroutine returns os.ErrClosed: the file closes the descriptor only once
// no transfer uses it. The other methods use the descriptor without that
// guard, so it is still best to Stop, wait for the loop, then Close.
func (d *Device) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	_ = ioctlVal(d.fd, ioctlPCMDrop, 0)
	return d.file.Close()
}

// Duplex is a capture and a playback stream of the same card, started
// together so that an echo canceller sees aligned far-end and microphone
// signals.
type Duplex struct {
	Playback *Device // the far end goes out here
	Capture  *Device // the microphone comes in here
	// Linked reports whether the kernel started both streams in one step
	// (SNDRV_PCM_IOCTL_LINK); if not they were started back to back.
	Linked bool
}

// OpenDuplex opens playback and capture on spec with the same wish (capture
// then asks for the rate playback got, so that both run at one rate where the
// card allows; compare both Params). The streams stay stopped until Start.
func OpenDuplex(spec string, want Params) (*Duplex, error) {
	p, err := open(spec, want, streamPlayback, true)
	if err != nil {
		return nil, err
	}
	want.Rate = p.params.Rate
	c, err := open(spec, want, streamCapture, true)
	if err != nil {
		p.Close()
		return nil, err
	}
	return &Duplex{Playback: p, Capture: c}, nil
}

// Start queues prime frames of silence for playback (two periods if
// prime <= 0) and starts both streams at once: linked by the kernel when it
// can, else back to back. The streams are unlinked afterwards, so that an
// xrun on one recovers it alone; after an xrun the alignment is no longer
// guaranteed, which Stats shows.
func (x *Duplex) Start(prime int) error {
	p, c := x.Playback, x.Capture
	if prime <= 0 {
		prime = 2 * p.params.PeriodFrames
	}
	prime = min(prime, p.params.BufferFrames)
	x.Linked = ioctlVal(c.fd, ioctlPCMLink, uintptr(p.fd)) == nil
	clear(p.buf)
	for left := prime; left > 0; {
		n := min(left, p.params.PeriodFrames)
		if err := p.transfer(n, ioctlPCMWriteIFrames); err != nil {
			return err
		}
		left -= n
	}
	if err := ioctlVal(c.fd, ioctlPCMStart, 0); err != nil {
		return fmt.Errorf("alsa: %s: START: %w", c.path, err)
	}
	if !x.Linked {
		if err := ioctlVal(p.fd, ioctlPCMStart, 0); err != nil {
			return fmt.Errorf("alsa: %s: START: %w", p.path, err)
		}
	} else {
		_ = ioctlVal(c.fd, ioctlPCMUnlink, 0)
	}
	// From now on recover like independent streams.
	if err := p.setSW(uint64(max(p.params.BufferFrames-p.params.PeriodFrames, p.params.PeriodFrames))); err != nil {
		return err
	}
	return c.setSW(1)
}

// Close closes both streams.
func (x *Duplex) Close() error {
	return errors.Join(x.Capture.Close(), x.Playback.Close())
}

// resolveCard turns a spec's card into a card number, looking an id up in
// /proc/asound/cards, else through each control device's CARD_INFO.
func resolveCard(sp spec) (int, error) {
	if sp.cardID == "" {
		return sp.card, nil
	}
	if b, err := os.ReadFile("/proc/asound/cards"); err == nil {
		cards, _ := parseProcCards(bytes.NewReader(b))
		for _, c := range cards {
			if c.id == sp.cardID {
				return c.number, nil
			}
		}
	}
	for n := 0; n < 32; n++ {
		info, err := cardInfo(n)
		if err != nil {
			continue
		}
		if cString(info.ID[:]) == sp.cardID {
			return n, nil
		}
	}
	return -1, fmt.Errorf("no card with id %q", sp.cardID)
}

func cardInfo(n int) (ctlCardInfo, error) {
	var info ctlCardInfo
	fd, err := unix.Open(fmt.Sprintf("/dev/snd/controlC%d", n), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return info, err
	}
	defer unix.Close(fd)
	err = ioctlPtr(fd, ioctlCtlCardInfo, unsafe.Pointer(&info))
	return info, err
}

// List reports the sound cards, their PCM devices and what each direction
// supports, for `intercom devices`. A direction open elsewhere is listed
// with Busy set.
func List() ([]Card, error) {
	var cards []Card
	for n := 0; n < 32; n++ {
		fd, err := unix.Open(fmt.Sprintf("/dev/snd/controlC%d", n), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		card, err := listCard(fd, n)
		unix.Close(fd)
		if err != nil {
			return cards, err
		}
		cards = append(cards, card)
	}
	if len(cards) == 0 {
		if _, err := os.Stat("/dev/snd"); err != nil {
			return nil, fmt.Errorf("alsa: no sound cards: %w", err)
		}
	}
	return cards, nil
}

func listCard(fd, n int) (Card, error) {
	var info ctlCardInfo
	if err := ioctlPtr(fd, ioctlCtlCardInfo, unsafe.Pointer(&info)); err != nil {
		return Card{}, fmt.Errorf("alsa: card %d: CARD_INFO: %w", n, err)
	}
	card := Card{Number: n, ID: cString(info.ID[:]), Driver: cString(info.Driver[:]),
		Name: cString(info.Name[:]), LongName: cString(info.Longname[:])}
	dev := int32(-1)
	for {
		if err := ioctlPtr(fd, ioctlCtlPCMNextDevice, unsafe.Pointer(&dev)); err != nil {
			return card, fmt.Errorf("alsa: card %d: PCM_NEXT_DEVICE: %w", n, err)
		}
		if dev < 0 {
			return card, nil
		}
		pcm := PCM{Device: int(dev)}
		for stream := streamPlayback; stream <= streamCapture; stream++ {
			pi := pcmInfo{Device: uint32(dev), Stream: int32(stream)}
			if ioctlPtr(fd, ioctlCtlPCMInfo, unsafe.Pointer(&pi)) != nil {
				continue // no such direction
			}
			pcm.ID, pcm.Name = cString(pi.ID[:]), cString(pi.Name[:])
			capab := probe(pcmPath(n, int(dev), stream))
			if stream == streamPlayback {
				pcm.Playback = capab
			} else {
				pcm.Capture = capab
			}
		}
		card.PCMs = append(card.PCMs, pcm)
	}
}

// probe opens a PCM and reads its whole configuration space with HW_REFINE.
func probe(path string) *Capability {
	fd, err := openPCMFile(path)
	if err != nil {
		return &Capability{Busy: true}
	}
	defer unix.Close(fd)
	var p hwParams
	p.any()
	if (kernelRefiner{fd}).refine(&p) != nil {
		return &Capability{Busy: true}
	}
	return capabilityOf(&p)
}
