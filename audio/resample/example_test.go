package resample_test

import (
	"fmt"

	"intercom/audio/resample"
)

func Example() {
	// A 48 kHz sound card feeding a 16 kHz (G.722) call.
	r, err := resample.New(48000, 16000)
	if err != nil {
		panic(err)
	}
	card := make([]int16, 960)                    // 20 ms at 48 kHz
	call := make([]int16, 0, r.MaxOut(len(card))) // owned, reused every frame
	call = r.Process(call[:0], card)
	fmt.Println(len(call))
	// Output: 320
}
