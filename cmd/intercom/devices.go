package main

import (
	"fmt"
	"io"
	"strings"

	"intercom/audio"
	"intercom/audio/alsa"
)

// listDevices runs "intercom devices": the audio backends built in, and
// each ALSA card with its PCM devices and what each direction supports,
// named as the config's audio.source and audio.sink take them.
func listDevices(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: intercom devices")
		return 2
	}
	fmt.Fprintf(stdout, "backends: %s\n", strings.Join(audio.Backends(), ", "))
	cards, err := alsa.List()
	if err != nil {
		fmt.Fprintln(stdout, err) // says why: no /dev/snd, another platform
		return 0
	}
	if len(cards) == 0 {
		fmt.Fprintln(stdout, "alsa: no sound cards")
	}
	for _, c := range cards {
		fmt.Fprintf(stdout, "card %d %q: %s (%s)\n", c.Number, c.ID, c.Name, c.Driver)
		for _, p := range c.PCMs {
			fmt.Fprintf(stdout, "  alsa:hw:CARD=%s,DEV=%d  %s\n", c.ID, p.Device, p.Name)
			for _, d := range []struct {
				name string
				cap  *alsa.Capability
			}{{"playback", p.Playback}, {"capture", p.Capture}} {
				switch {
				case d.cap == nil:
				case d.cap.Busy:
					fmt.Fprintf(stdout, "    %-8s busy\n", d.name)
				default:
					formats := make([]string, len(d.cap.Formats))
					for i, f := range d.cap.Formats {
						formats[i] = fmt.Sprint(f)
					}
					fmt.Fprintf(stdout, "    %-8s %s, %d-%d Hz, %d-%d channels\n", d.name, strings.Join(formats, " "),
						d.cap.MinRate, d.cap.MaxRate, d.cap.MinChannels, d.cap.MaxChannels)
				}
			}
		}
	}
	return 0
}
