package board_test

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"intercom/board"
)

// A doorbell button between GPIO17 and ground, pressed on the simulated
// board.
func ExampleSim() {
	b, _ := board.Open("sim")
	defer b.Close()
	button, _ := b.Pin("P1-11") // the same pin as "GPIO17"
	_ = button.In(gpio.PullUp, gpio.FallingEdge)

	_ = b.(*board.Sim).Set("GPIO17", gpio.Low) // pressed
	fmt.Println(button.Name(), button.WaitForEdge(time.Second), button.Read())
	// Output: GPIO17 true Low
}

func ExampleResolve() {
	l, _ := board.Resolve(board.Profiles[board.KindRPi5], "P1-12")
	fmt.Println(l.Chip, l.Offset, l.Func)
	_, err := board.Resolve(board.Profiles[board.KindRPi4], "P1-6")
	fmt.Println(err)
	// Output:
	// chip labelled pinctrl-rp1 18 PCM CLK (I2S sound cards)
	// pin P1-6 is GND on Raspberry Pi 4: pin not usable as a GPIO
}
