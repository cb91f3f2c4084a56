package alsa

import (
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want spec
		err  bool
	}{
		{"default", spec{card: 0}, false},
		{"", spec{card: 0}, false},
		{"hw:0,0", spec{card: 0, dev: 0}, false},
		{"hw:1,3", spec{card: 1, dev: 3}, false},
		{"hw:2", spec{card: 2}, false},
		{"hw:Device", spec{card: -1, cardID: "Device"}, false},
		{"hw:CARD=Device,DEV=0", spec{card: -1, cardID: "Device"}, false},
		{"alsa:hw:CARD=Device,DEV=1", spec{card: -1, cardID: "Device", dev: 1}, false},
		{"hw:DEV=2,CARD=Loopback", spec{card: -1, cardID: "Loopback", dev: 2}, false},
		{"hw:CARD=1,DEV=0", spec{card: 1}, false},
		{"plughw:Loopback,1", spec{card: -1, cardID: "Loopback", dev: 1}, false},
		{`hw:CARD="Device",DEV=0`, spec{card: -1, cardID: "Device"}, false},
		{"hw:0,0,0", spec{card: 0}, false},
		{"hw:0,0,1", spec{}, true},
		{"hw:", spec{}, true},
		{"hw:0,x", spec{}, true},
		{"hw:0,-1", spec{}, true},
		{"hw:DEV=1", spec{}, true},
		{"hw:CARD=a,CARD=b", spec{}, true},
		{"hw:FOO=1", spec{}, true},
		{"dmix", spec{}, true},
		{"pulse", spec{}, true},
	} {
		got, err := parseSpec(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseSpec(%q) err = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("parseSpec(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"default", "hw:0,0", "hw:CARD=x,DEV=1", "plughw:a", "hw:=,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := parseSpec(s)
		if err == nil && (sp.dev < 0 || (sp.card < 0) == (sp.cardID == "")) {
			t.Errorf("parseSpec(%q) = %+v", s, sp)
		}
	})
}

func TestParseProcCards(t *testing.T) {
	const cards = ` 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 33
 1 [Loopback       ]: Loopback - Loopback
                      Loopback 1
29 [Device         ]: USB-Audio - USB Audio Device
                      C-Media Electronics Inc. USB Audio Device at usb-0000:00:14.0-2, full speed
`
	got, err := parseProcCards(strings.NewReader(cards))
	if err != nil {
		t.Fatal(err)
	}
	want := []procCard{{0, "PCH", "HDA Intel PCH"}, {1, "Loopback", "Loopback"}, {29, "Device", "USB Audio Device"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("card %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, _ := parseProcCards(strings.NewReader("--- no soundcards ---\n")); len(got) != 0 {
		t.Errorf("no cards: %+v", got)
	}
}
