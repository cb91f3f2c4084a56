package audio_test

import (
	"fmt"

	"intercom/audio"
)

func ExampleOpenSource() {
	src, err := audio.OpenSource("null", 16000)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	pcm := make([]int16, audio.FrameSamples(16000))
	err = src.ReadFrame(pcm) // the first frame of a paced device is due at once
	fmt.Println(len(pcm), err)

	_, err = audio.OpenSink("oto", 16000)
	fmt.Println(err)
	// Output:
	// 320 <nil>
	// audio: open playback device "oto": the oto backend is not built in yet
}
