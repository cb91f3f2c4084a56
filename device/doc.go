// Package device will hold the door station: its buttons, door relay, LEDs
// and door sensor, and the intercom's behaviour (what a button press, a call
// and a DTMF code do). It wires sipua, audio and board together and is driven
// by cmd/intercom; it reads no configuration files or flags itself.
package device
