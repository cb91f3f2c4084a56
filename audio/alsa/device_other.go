//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package alsa

// Device is an open PCM stream. On this platform it cannot be opened.
type Device struct{}

// OpenPlayback returns ErrUnsupported on this platform.
func OpenPlayback(spec string, want Params) (*Device, error) { return nil, ErrUnsupported }

// OpenCapture returns ErrUnsupported on this platform.
func OpenCapture(spec string, want Params) (*Device, error) { return nil, ErrUnsupported }

// Params returns the zero Params on this platform.
func (d *Device) Params() Params { return Params{} }

// Stats returns the zero Stats on this platform.
func (d *Device) Stats() Stats { return Stats{} }

// Write returns ErrUnsupported on this platform.
func (d *Device) Write(frames []int16) error { return ErrUnsupported }

// Read returns ErrUnsupported on this platform.
func (d *Device) Read(frames []int16) error { return ErrUnsupported }

// Delay returns ErrUnsupported on this platform.
func (d *Device) Delay() (int, error) { return 0, ErrUnsupported }

// Drain returns ErrUnsupported on this platform.
func (d *Device) Drain() error { return ErrUnsupported }

// Stop returns ErrUnsupported on this platform.
func (d *Device) Stop() error { return ErrUnsupported }

// Close does nothing on this platform.
func (d *Device) Close() error { return nil }

// Duplex is a capture and a playback stream started together; on this
// platform it cannot be opened.
type Duplex struct {
	Playback *Device // the far end goes out here
	Capture  *Device // the microphone comes in here
	Linked   bool    // whether the kernel linked the streams
}

// OpenDuplex returns ErrUnsupported on this platform.
func OpenDuplex(spec string, want Params) (*Duplex, error) { return nil, ErrUnsupported }

// Start returns ErrUnsupported on this platform.
func (x *Duplex) Start(prime int) error { return ErrUnsupported }

// Close does nothing on this platform.
func (x *Duplex) Close() error { return nil }

// List returns ErrUnsupported on this platform.
func List() ([]Card, error) { return nil, ErrUnsupported }
