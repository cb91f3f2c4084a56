package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"intercom/audio"
	"intercom/audio/aec"
	"intercom/audio/wav"
)

// echoCancel runs "intercom aec --far FAR.wav --mic MIC.wav --out OUT.wav":
// the echo canceller offline on recordings from a real housing (16-bit
// mono WAV at 8 or 16 kHz, the far end as played and the microphone as
// captured, started together), so an installer can check and tune it.
func echoCancel(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("aec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	farName := fs.String("far", "", "the far end as played, a `WAV` file")
	micName := fs.String("mic", "", "the microphone as captured, a `WAV` file")
	outName := fs.String("out", "", "where the echo-cancelled microphone goes, a `WAV` file")
	delay := fs.Duration("delay", 0, "the sound card's bulk delay, if known (else estimated)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *farName == "" || *micName == "" || *outName == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: intercom aec --far FAR.wav --mic MIC.wav --out OUT.wav [--delay D]")
		return 2
	}
	if err := runAEC(*farName, *micName, *outName, *delay, stdout); err != nil {
		fmt.Fprintln(stderr, "intercom aec:", err)
		return 1
	}
	return 0
}

// runAEC cancels the echo of far in mic, frame by frame, into out, at the
// microphone's rate (8 or 16 kHz; other rates are resampled to 16 kHz).
func runAEC(farName, micName, outName string, delay time.Duration, stdout io.Writer) error {
	rate, err := wavRate(micName)
	if err != nil {
		return err
	}
	mic, err := wav.Open(micName, rate, wav.Options{})
	if err != nil {
		return err
	}
	defer mic.Close()
	far, err := wav.Open(farName, rate, wav.Options{})
	if err != nil {
		return err
	}
	defer far.Close()
	out, err := wav.Create(outName, rate, wav.Options{})
	if err != nil {
		return err
	}
	n := audio.FrameSamples(rate)
	c := aec.New(aec.Config{SampleRate: rate, FrameSamples: n, BulkDelay: delay, EstimateDelay: delay == 0})
	m, f, o := make([]int16, n), make([]int16, n), make([]int16, n)
	frames := 0
	for {
		if err := mic.ReadFrame(m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			out.Close()
			return err
		}
		if err := far.ReadFrame(f); errors.Is(err, io.EOF) {
			clear(f) // the far end ended first: silence
		} else if err != nil {
			out.Close()
			return err
		}
		c.Process(m, f, o)
		if err := out.WriteFrame(o); err != nil {
			out.Close()
			return err
		}
		frames++
	}
	if err := out.Close(); err != nil {
		return err
	}
	st := c.Stats()
	fmt.Fprintf(stdout, "%s: %d frames at %d Hz; ERLE %.1f dB, delay %v (estimated %v), %d resets\n",
		outName, frames, rate, st.ERLE, st.Delay, st.DelayEstimate, st.Resets)
	return nil
}

// wavRate returns the rate to process a recording at: its own when 8 or
// 16 kHz, else 16 kHz.
func wavRate(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := wav.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if rate := r.Header().Rate; rate == 8000 || rate == 16000 {
		return rate, nil
	}
	return 16000, nil
}
