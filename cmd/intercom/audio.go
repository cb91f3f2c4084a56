package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"intercom/audio"
	"intercom/audio/aec"
	"intercom/audio/alsa" // also registers the alsa: devices
	"intercom/audio/level"
	"intercom/audio/tone"
	"intercom/sipua"
	"intercom/sipua/media"
)

// callAudio moves a call's audio until the call ends, in one loop clocked
// by the capture device: a frame from the microphone goes to the stream,
// and a frame from the stream to the speaker, so that both stay in step.
// The loop also takes the stream's incoming packets, so that a call wakes
// the process once a frame.
// A device that cannot be opened is replaced by the null device, and a
// WAV source that ends by silence, so the call goes on either way.
// A cue mixes a tone into both directions, so the visitor and the
// resident hear it: the door chime when the door opened, a beep when the
// station answered by itself, and a warning ten seconds before maxCall
// (if positive) ends the call.
// The call's level meters are shown through levels, if not nil.
func callAudio(c *sipua.Call, a *Audio, log *slog.Logger, cue <-chan tone.Cadence, maxCall time.Duration, levels *cues) {
	m, ok := c.Media().(*media.Call)
	if !ok {
		return
	}
	s := m.Stream()
	s.DrainOnRead() // this loop reads a frame every 20 ms: one wake-up a frame
	n := s.FrameSamples()
	rate := n * int(1e9/media.FrameDuration.Nanoseconds())
	src, sink := openDevices(a, rate, log)
	defer func() { src.Close() }()
	defer func() { sink.Close() }()
	mic, far, out := make([]int16, n), make([]int16, 0, n), make([]int16, n)
	var echo *aec.Canceller
	if a.EchoCancel {
		// Over budget (a slow board), it falls back to half-duplex.
		echo = aec.New(aec.Config{SampleRate: rate, FrameSamples: n, EstimateDelay: true, Budget: media.FrameDuration / 2})
	}
	var meters level.Meters
	if levels != nil {
		levels.setMeters(c.CallID(), &meters)
	}
	defer func() {
		r := meters.Read()
		log.Info("call audio levels", "call_id", c.CallID(), "mic_rms_dbfs", tenth(r.Capture.RMS), "mic_clipped", r.Capture.Clip,
			"speaker_rms_dbfs", tenth(r.Playback.RMS), "speaker_clipped", r.Playback.Clip)
	}()
	var chime *tone.Tone
	chimeFrame := make([]int16, n)
	var warn <-chan time.Time
	if maxCall > warnBefore {
		t := time.NewTimer(maxCall - warnBefore)
		defer t.Stop()
		warn = t.C
	}
	play := func(c tone.Cadence) {
		var err error
		if chime, err = tone.New(c, rate); err != nil {
			log.Warn("tone in the call", "err", err)
		}
	}
	for {
		select {
		case <-c.Done():
			return
		case cd := <-cue:
			play(cd)
		case <-warn:
			play(warningCadence)
		default:
		}
		chiming := chime != nil && chime.ReadFrame(chimeFrame) == nil
		if err := src.ReadFrame(mic); err != nil {
			if !errors.Is(err, io.EOF) {
				log.Warn("capture failed, sending silence", "err", err)
			}
			src.Close()
			src = audio.NewNull()
			continue
		}
		meters.Capture.Update(mic, media.FrameDuration)
		far = s.ReadFrame(far)
		if chiming {
			mix(far, chimeFrame)
		}
		meters.Playback.Update(far, media.FrameDuration)
		if err := sink.WriteFrame(far); err != nil {
			log.Warn("playback failed, discarding the far end", "err", err)
			sink.Close()
			sink = audio.NewUnpacedNull() // the capture device keeps time
		}
		send := mic
		if echo != nil {
			echo.Process(mic, far, out)
			send = out
		}
		if chiming {
			mix(send, chimeFrame)
		}
		_ = s.WriteFrame(send)
	}
}

// mix adds b to a, saturating.
func mix(a, b []int16) {
	for i := range min(len(a), len(b)) {
		a[i] = int16(max(min(int32(a[i])+int32(b[i]), 32767), -32768))
	}
}

// Tones of a call's own: a beep when the station answers by itself, and
// three short pips that warn of the end of the longest call.
var (
	beepCadence    = tone.Cadence{Segments: []tone.Segment{{Freqs: []float64{1000}, Duration: 150 * time.Millisecond}}}
	warningCadence = tone.Cadence{Segments: []tone.Segment{
		{Freqs: []float64{1400}, Duration: 100 * time.Millisecond}, {Duration: 150 * time.Millisecond},
		{Freqs: []float64{1400}, Duration: 100 * time.Millisecond}, {Duration: 150 * time.Millisecond},
		{Freqs: []float64{1400}, Duration: 100 * time.Millisecond}}}
)

// warnBefore is how long before the longest call ends its warning plays.
const warnBefore = 10 * time.Second

// cues passes tones to play to the audio loop of the call they concern,
// and shows that loop's level meters.
type cues struct {
	mu     sync.Mutex
	calls  map[string]chan tone.Cadence
	meters map[string]*level.Meters
}

// setMeters publishes a call's level meters.
func (q *cues) setMeters(callID string, m *level.Meters) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.meters == nil {
		q.meters = make(map[string]*level.Meters)
	}
	q.meters[callID] = m
}

// levels reads a call's meters, if its audio runs.
func (q *cues) levels(callID string) (level.Readings, bool) {
	q.mu.Lock()
	m := q.meters[callID]
	q.mu.Unlock()
	if m == nil {
		return level.Readings{}, false
	}
	return m.Read(), true
}

// add registers a call's audio loop and returns its cue channel.
func (q *cues) add(callID string) chan tone.Cadence {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls == nil {
		q.calls = make(map[string]chan tone.Cadence)
	}
	ch := make(chan tone.Cadence, 1)
	q.calls[callID] = ch
	return ch
}

func (q *cues) remove(callID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.calls, callID)
	delete(q.meters, callID)
}

// cue plays a tone in the call's audio, if it has any; a tone cued while
// another waits is dropped.
func (q *cues) cue(callID string, c tone.Cadence) {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case q.calls[callID] <- c:
	default:
	}
}

// doorOpened cues the door chime.
func (q *cues) doorOpened(callID string) { q.cue(callID, tone.ChimeCadence) }

// answered cues the beep of an automatic answer.
func (q *cues) answered(callID string) { q.cue(callID, beepCadence) }

// openDevices opens the call's microphone and speaker. One ALSA card for
// both is opened as a duplex, so that both streams start together; a
// device that cannot be opened is replaced by the null device.
func openDevices(a *Audio, rate int, log *slog.Logger) (audio.Source, audio.Sink) {
	if dev, ok := strings.CutPrefix(a.Source, "alsa:"); ok && a.Source == a.Sink {
		src, sink, err := alsa.OpenFrames(dev, rate)
		if err == nil {
			return src, sink
		}
		log.Warn("sound card unusable as a duplex, opening each way apart", "err", err)
	}
	src, err := audio.OpenSource(a.Source, rate)
	if err != nil {
		log.Warn("capture device unusable, sending silence", "err", err)
		src = audio.NewNull()
	}
	// The capture device clocks the call: a null speaker need not keep
	// time too, which would be a second sleep every frame.
	if a.Sink == "null" {
		return src, audio.NewUnpacedNull()
	}
	sink, err := audio.OpenSink(a.Sink, rate)
	if err != nil {
		log.Warn("playback device unusable, discarding the far end", "err", err)
		sink = audio.NewUnpacedNull()
	}
	return src, sink
}

// tenth rounds a level to a tenth of a dB, for the log.
func tenth(db float64) float64 { return math.Round(db*10) / 10 }
