package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"

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
// A device that cannot be opened is replaced by the null device, and a
// WAV source that ends by silence, so the call goes on either way.
// A cue (the door opened) mixes the door chime into both directions, so
// the visitor and the resident hear it.
func callAudio(c *sipua.Call, a *Audio, log *slog.Logger, cue <-chan struct{}) {
	m, ok := c.Media().(*media.Call)
	if !ok {
		return
	}
	s := m.Stream()
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
	defer func() {
		r := meters.Read()
		log.Info("call audio levels", "call_id", c.CallID(), "mic_rms_dbfs", tenth(r.Capture.RMS), "mic_clipped", r.Capture.Clip,
			"speaker_rms_dbfs", tenth(r.Playback.RMS), "speaker_clipped", r.Playback.Clip)
	}()
	var chime *tone.Tone
	chimeFrame := make([]int16, n)
	for {
		select {
		case <-c.Done():
			return
		case <-cue:
			var err error
			if chime, err = tone.Chime(rate); err != nil {
				log.Warn("door chime", "err", err)
			}
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
			sink = audio.NewNull()
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

// cues passes the door-opened cue to the audio loop of the call it
// happened in.
type cues struct {
	mu    sync.Mutex
	calls map[string]chan struct{}
}

// add registers a call's audio loop and returns its cue channel.
func (q *cues) add(callID string) chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls == nil {
		q.calls = make(map[string]chan struct{})
	}
	ch := make(chan struct{}, 1)
	q.calls[callID] = ch
	return ch
}

func (q *cues) remove(callID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.calls, callID)
}

// doorOpened cues the chime in the call's audio, if it has any.
func (q *cues) doorOpened(callID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case q.calls[callID] <- struct{}{}:
	default:
	}
}

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
	sink, err := audio.OpenSink(a.Sink, rate)
	if err != nil {
		log.Warn("playback device unusable, discarding the far end", "err", err)
		sink = audio.NewNull()
	}
	return src, sink
}

// tenth rounds a level to a tenth of a dB, for the log.
func tenth(db float64) float64 { return math.Round(db*10) / 10 }
