package alsa

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// spec is a parsed device name: a card given by number or by id, and a PCM
// device number.
type spec struct {
	card   int    // card number, or -1 when cardID names it
	cardID string // card id (hw:CARD=id), "" when card is a number
	dev    int    // PCM device number
}

// parseSpec parses "hw:CARD=x,DEV=n", "hw:0,0", "hw:0", "hw:x", "plughw:..."
// (taken as hw: the conversion happens here anyway) and "default" (card 0,
// device 0). An "alsa:" prefix, as in the config file, is accepted.
func parseSpec(s string) (spec, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "alsa:")
	if s == "" || s == "default" || s == "sysdefault" {
		return spec{card: 0}, nil
	}
	rest, ok := strings.CutPrefix(s, "hw:")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "plughw:"); !ok {
			return spec{}, fmt.Errorf("alsa: device %q: want hw:CARD=name,DEV=n, hw:card,dev or default", orig)
		}
	}
	sp := spec{card: -1}
	cardSet, devSet := false, false
	for i, part := range strings.Split(rest, ",") {
		key, val, named := strings.Cut(part, "=")
		if !named {
			val = key
			switch i {
			case 0:
				key = "CARD"
			case 1:
				key = "DEV"
			default:
				key = "SUBDEV"
			}
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToUpper(strings.TrimSpace(key)) {
		case "CARD":
			if cardSet || val == "" {
				return spec{}, fmt.Errorf("alsa: device %q: bad or repeated CARD", orig)
			}
			cardSet = true
			if n, err := strconv.Atoi(val); err == nil && n >= 0 {
				sp.card = n
			} else {
				sp.cardID = val
			}
		case "DEV":
			n, err := strconv.Atoi(val)
			if devSet || err != nil || n < 0 {
				return spec{}, fmt.Errorf("alsa: device %q: bad or repeated DEV", orig)
			}
			devSet = true
			sp.dev = n
		case "SUBDEV":
			if n, err := strconv.Atoi(val); err != nil || n != 0 {
				// Subdevices other than the first are not chosen here.
				return spec{}, fmt.Errorf("alsa: device %q: only SUBDEV=0 is supported", orig)
			}
		default:
			return spec{}, fmt.Errorf("alsa: device %q: unknown key %q", orig, key)
		}
	}
	if !cardSet {
		return spec{}, fmt.Errorf("alsa: device %q: no card", orig)
	}
	return sp, nil
}

// procCard is one card line of /proc/asound/cards.
type procCard struct {
	number int
	id     string
	name   string
}

// parseProcCards reads /proc/asound/cards, whose card lines look like
//
//	0 [PCH            ]: HDA-Intel - HDA Intel PCH
//	                     HDA Intel PCH at 0xf7f10000 irq 33
func parseProcCards(r io.Reader) ([]procCard, error) {
	var cards []procCard
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		open := strings.IndexByte(line, '[')
		end := strings.Index(line, "]:")
		if open < 0 || end < open {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(line[:open]))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(line[end+2:])
		if _, after, ok := strings.Cut(name, " - "); ok {
			name = after
		}
		cards = append(cards, procCard{number: n, id: strings.TrimSpace(line[open+1 : end]), name: name})
	}
	return cards, sc.Err()
}
