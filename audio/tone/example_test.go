package tone_test

import (
	"fmt"

	"intercom/audio/tone"
)

func ExampleRingback() {
	rb, err := tone.Ringback("gb", 8000) // 400+450 Hz, 0.4/0.2/0.4/2.0 s
	if err != nil {
		panic(err)
	}
	frame := make([]int16, 160)
	for range 150 { // 3 s, one cadence; a playback device would pace this
		if err := rb.ReadFrame(frame); err != nil {
			panic(err)
		}
	}
	_, err = tone.Ringback("zz", 8000)
	fmt.Println(err != nil)
	// Output: true
}
