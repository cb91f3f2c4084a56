package media

import (
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"intercom/audio/codec"
	"intercom/internal/peertest"
	"intercom/sipua"
	"intercom/sipua/sdp"
)

// writeWAV writes 16-bit mono PCM as a WAV file.
func writeWAV(t *testing.T, path string, rate int, pcm []int16) {
	t.Helper()
	b := make([]byte, 44, 44+2*len(pcm))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(pcm)))
	for _, s := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readWAV returns the samples of a 16-bit WAV file's data chunk.
func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:]))
		i += 8
		if id == "data" {
			data := b[i:min(i+n, len(b))]
			pcm := make([]int16, len(data)/2)
			for j := range pcm {
				pcm[j] = int16(binary.LittleEndian.Uint16(data[2*j:]))
			}
			return pcm
		}
		i += n + n&1
	}
	t.Fatalf("%s has no data chunk", path)
	return nil
}

// TestAudioWithBaresip: baresip calls the station and plays a 1 kHz tone
// from a WAV file, and records what it receives. The station answers with
// the media layer, plays a 440 Hz tone and records what it hears. Both
// tones must arrive; DTMF goes both ways as RFC 4733 events. It runs with
// plain RTP, and with SRTP keyed by SDES, best effort and mandatory.
func TestAudioWithBaresip(t *testing.T) {
	peertest.NeedTool(t, "baresip")
	for _, tc := range []struct {
		name     string
		mode     sdp.SRTPMode
		mediaEnc string
	}{
		{"RTP", sdp.SRTPOff, ""},
		{"SRTP best effort", sdp.SRTPOptional, "srtp"},
		{"SRTP mandatory", sdp.SRTPMandatory, "srtp-mand"},
	} {
		t.Run(tc.name, func(t *testing.T) { audioWithBaresip(t, tc.mode, tc.mediaEnc) })
	}
}

func audioWithBaresip(t *testing.T, mode sdp.SRTPMode, mediaEnc string) {
	dir := t.TempDir()
	tone := make([]int16, 8000*8) // 8 s at 8 kHz, longer than the call
	sine(tone, 8000, 1000, 0)
	wav := filepath.Join(dir, "tone.wav")
	writeWAV(t, wav, 8000, tone)
	recordings := filepath.Join(dir, "rec")
	if err := os.Mkdir(recordings, 0o755); err != nil {
		t.Fatal(err)
	}

	var ports atomic.Int32
	ports.Store(42000)
	events := make(chan sipua.Event, 64)
	var ua *sipua.UA
	ua, err := sipua.New(sipua.Config{
		Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"},
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
		OnEvent:    func(e sipua.Event) { events <- e },
		OnIncoming: func(c *sipua.Call) { _ = c.Answer() },
		NewMedia: func(c *sipua.Call) (sipua.Media, error) {
			return NewCall(CallConfig{Addr: loopback, Port: func() int { return int(ports.Add(2)) },
				SDP:    sdp.Config{Codecs: []string{"PCMU"}, DTMF: true, SRTP: mode},
				OnDTMF: func(k byte) { c.ReportDTMF(string(k), "rfc4733") }})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	phone := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat", AudioFile: wav, RecordDir: recordings, MediaEnc: mediaEnc})
	if err := phone.Dial("sip:door@" + ua.Addr().AddrPort.String()); err != nil {
		t.Fatal(err)
	}
	var call *sipua.Call
	for call == nil {
		select {
		case e := <-events:
			if e.Name == sipua.EventCallAnswered {
				call = e.Call
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no call answered")
		}
	}
	phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	stream := call.Media().(*Call).Stream()
	if m, _ := call.Media().(*Call).SDP().Negotiated(); (m.SRTP != nil) != (mode != sdp.SRTPOff) {
		t.Fatalf("SRTP keys %+v with mode %v", m.SRTP, mode)
	}

	// Two seconds of talk both ways; a key each way in the middle.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var heard []float64
	samples := codec.PCMU.FrameSamples(FrameDuration)
	in, out := make([]int16, samples), make([]int16, 0, samples)
	tick := time.NewTicker(FrameDuration)
	for i := 0; i < 100 && ctx.Err() == nil; i++ {
		sine(in, 8000, 440, i*samples)
		_ = stream.WriteFrame(in)
		<-tick.C
		out = stream.ReadFrame(out)
		heard = append(heard, rms(out))
		switch i {
		case 30:
			if err := stream.SendDTMF("7"); err != nil {
				t.Fatal(err)
			}
		case 50:
			if err := phone.SendDTMF("4"); err != nil {
				t.Fatal(err)
			}
		}
	}
	tick.Stop()
	if e := phone.WaitEvent(t, "CALL_DTMF_START", 5*time.Second); e.Param != "7" {
		t.Errorf("baresip heard key %q, want 7", e.Param)
	}
	gotKey := ""
	for gotKey == "" {
		select {
		case e := <-events:
			if e.Name == sipua.EventDTMF {
				gotKey = e.Digit + "/" + e.Source
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no dtmf event from baresip's key")
		}
	}
	if gotKey != "4/rfc4733" {
		t.Errorf("station heard %q, want 4/rfc4733", gotKey)
	}
	// Between the jitter buffer's start and baresip's key (which replaces
	// its audio while held), every frame carries its tone.
	loud := 0
	for _, l := range heard[20:60] {
		if l > 2000 {
			loud++
		}
	}
	if loud < 36 {
		t.Errorf("%d of 40 frames carried baresip's tone; levels %.0f", loud, heard)
	}
	st := stream.Stats()
	if st.PacketsReceived < 80 || st.PacketsSent < 80 || st.Strangers != 0 || st.Invalid != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}
	phone.WaitEvent(t, "CALL_CLOSED", 10*time.Second)
	<-call.Done()
	phone.Close() // writes the recording

	files, _ := filepath.Glob(filepath.Join(recordings, "dump-*-dec.wav"))
	if len(files) != 1 {
		t.Fatalf("baresip recordings %v", files)
	}
	rec := readWAV(t, files[0])
	loudRec := 0
	for i := 0; i+160 <= len(rec); i += 160 {
		if rms(rec[i:i+160]) > 2000 {
			loudRec++
		}
	}
	if loudRec < 60 {
		t.Errorf("baresip recorded our tone in %d frames of %d", loudRec, len(rec)/160)
	}
}
