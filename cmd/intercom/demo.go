package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"

	"intercom/audio/wav"
	"intercom/board"
	"intercom/sipua"
	"intercom/sipua/media"
	"intercom/sipua/sdp"
)

// demoConfig is the station the demo runs: the simulated board, a WAV
// file as the visitor's voice, and one button that calls the flat, whose
// phone is started by the demo. %s are the visitor's WAV, the speaker's
// WAV and the flat's URI.
const demoConfig = `
[sip]
listen = "127.0.0.1:0"
user = "door"
rtp_ports = "41000-41099"
[audio]
source = "wav:%s"
sink = "wav:%s"
codecs = ["G722", "PCMU"]
echo_cancel = true
[board]
kind = "sim"
[[button]]
name = "flat1"
pin = "GPIO17"
targets = ["%s"]
ring_timeout = "20s"
[door]
relay_pin = "GPIO27"
pulse = "1s"
codes = ["1#"]
hangup_after = "1500ms"
[led]
pin = "GPIO5"
`

// runDemo runs "intercom demo": with no hardware and no server, the
// firmware on the simulated board calls an answering phone on 127.0.0.1
// when its button is pressed; the phone's user types the door code, the
// relay opens, the station hangs up. It prints the call's progress and a
// summary, and exits 0 when the door opened.
func runDemo(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: intercom demo")
		return 2
	}
	dir, err := os.MkdirTemp("", "intercom-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "intercom demo:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	visitor, speaker := filepath.Join(dir, "visitor.wav"), filepath.Join(dir, "speaker.wav")
	if err := writeVoice(visitor, 16000, 8*time.Second); err != nil {
		fmt.Fprintln(stderr, "intercom demo:", err)
		return 1
	}
	show := newProgress(stdout)
	flat, err := startFlatPhone(show)
	if err != nil {
		fmt.Fprintln(stderr, "intercom demo:", err)
		return 1
	}
	defer flat.ua.Close()
	cfg, err := parseConfig("demo.toml", fmt.Appendf(nil, demoConfig, visitor, speaker, flat.uri()))
	if err != nil {
		fmt.Fprintln(stderr, "intercom demo:", err)
		return 1
	}
	log := slog.New(show)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var st *station
	code := serve(ctx, cfg, log, stderr, func(ua *sipua.UA, s *station) {
		st = s
		fmt.Fprintf(stdout, "station door@%s on a simulated board; the flat's phone is %s\n", ua.Addr().AddrPort, flat.uri())
		go func() {
			sim := s.board.(*board.Sim)
			time.Sleep(300 * time.Millisecond) // the button's loop takes its pin
			show.say("a visitor presses the button of flat 1")
			_ = sim.Set("GPIO17", gpio.Low)
			time.Sleep(150 * time.Millisecond)
			_ = sim.Set("GPIO17", gpio.High)
			select { // the call ends after the door opened; then the demo does
			case <-flat.ended:
				time.Sleep(200 * time.Millisecond)
			case <-ctx.Done():
			}
			cancel()
		}()
	})
	if code != 0 {
		return code
	}
	opened := st != nil && st.relay != nil && st.relay.State().Pulses > 0
	fmt.Fprintf(stdout, "\nsummary: answered %v, door opened %v, %d RTP packets received by the flat, %d keys typed\n",
		flat.answered.Load(), opened, flat.rtpReceived.Load(), len(demoKeys))
	if !opened {
		return 1
	}
	return 0
}

// demoKeys is the door code the demo's resident types.
const demoKeys = "1#"

// demoPhone is the flat's phone in the demo: our own user agent in
// auto-answer mode, with real RTP, whose user types the door code.
type demoPhone struct {
	ua          *sipua.UA
	ended       chan struct{}
	answered    atomic.Bool
	rtpReceived atomic.Uint64
}

func (p *demoPhone) uri() string { return "sip:flat1@" + p.ua.Addr().AddrPort.String() }

// startFlatPhone starts the flat's phone on 127.0.0.1.
func startFlatPhone(show *progress) (*demoPhone, error) {
	p := &demoPhone{ended: make(chan struct{})}
	var once sync.Once
	var ports atomic.Int32
	ports.Store(42000)
	var err error
	p.ua, err = sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "flat1"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NewMedia: func(c *sipua.Call) (sipua.Media, error) {
			return media.NewCall(media.CallConfig{Addr: netip.MustParseAddr("127.0.0.1"), Port: func() int { return int(ports.Add(2)) },
				SDP: sdp.Config{Codecs: []string{"G722", "PCMU"}, DTMF: true}})
		},
		OnIncoming: func(c *sipua.Call) {
			show.say("the flat's phone rings; the resident picks up in a second")
			time.AfterFunc(time.Second, func() { _ = c.Answer() })
		},
		OnEvent: func(e sipua.Event) {
			switch e.Name {
			case sipua.EventCallAnswered:
				p.answered.Store(true)
				go p.talk(e.Call, show)
			case sipua.EventCallEnded:
				once.Do(func() { close(p.ended) })
			}
		}})
	return p, err
}

// talk is the resident: they listen, say a word, and type the code.
func (p *demoPhone) talk(c *sipua.Call, show *progress) {
	s := c.Media().(*media.Call).Stream()
	frame := make([]int16, s.FrameSamples())
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-c.Done():
			p.rtpReceived.Store(s.Stats().PacketsReceived)
			return
		case <-tick.C:
		}
		if i == 75 {
			show.say("the resident types the door code " + demoKeys)
			_ = s.SendDTMF(demoKeys)
		}
		_ = s.WriteFrame(frame)
		frame = s.ReadFrame(frame[:0])
		clear(frame)
		if i%50 == 49 {
			st := s.Stats()
			p.rtpReceived.Store(st.PacketsReceived)
			show.say(fmt.Sprintf("flat's phone: %d RTP packets in, %d out, %s, jitter %v", st.PacketsReceived, st.PacketsSent,
				st.Codec, st.Jitter.Round(time.Millisecond)))
		}
	}
}

// writeVoice writes a voice-like WAV file: a vowel of a few harmonics,
// its pitch wavering, in syllables.
func writeVoice(name string, rate int, d time.Duration) error {
	w, err := wav.Create(name, rate, wav.Options{})
	if err != nil {
		return err
	}
	n := int(d.Seconds() * float64(rate))
	pcm := make([]int16, n)
	for i := range pcm {
		t := float64(i) / float64(rate)
		f0 := 140 + 20*math.Sin(2*math.Pi*0.7*t)
		env := math.Max(0, math.Sin(2*math.Pi*2.5*t))
		var v float64
		for h := 1; h <= 6; h++ {
			v += math.Sin(2*math.Pi*f0*float64(h)*t) / float64(h)
		}
		pcm[i] = int16(4000 * env * v)
	}
	if err := w.WriteFrame(pcm); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// progress prints what happens as it happens: the station's events, as a
// slog.Handler, and the demo's own narration.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

// say prints a line of narration.
func (p *progress) say(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%6.2fs  %s\n", time.Since(p.start).Seconds(), line)
}

// Enabled shows the station's events and its audio levels only.
func (p *progress) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

// Handle prints a record that carries an event name, or the audio levels.
func (p *progress) Handle(_ context.Context, r slog.Record) error {
	var parts []string
	event := ""
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "event":
			event = a.Value.String()
		case "call_id", "direction":
		default:
			parts = append(parts, a.Key+"="+a.Value.String())
		}
		return true
	})
	if event == "" && r.Message != "call audio levels" {
		return nil
	}
	if event == "" {
		event = r.Message
	}
	p.say(fmt.Sprintf("station: %-18s %s", event, strings.Join(parts, " ")))
	return nil
}

// WithAttrs and WithGroup keep the handler as it is: the station logs
// flat records.
func (p *progress) WithAttrs([]slog.Attr) slog.Handler { return p }

// WithGroup returns the handler itself.
func (p *progress) WithGroup(string) slog.Handler { return p }
