package mqtt

import (
	"runtime/debug"
)

// discoveryMessage is one retained Home Assistant discovery config.
type discoveryMessage struct {
	topic  string
	config map[string]any
}

// discovery returns the station's Home Assistant discovery configs, under
// <prefix>/<component>/<node>/<object>/config: a doorbell event entity, the
// door as a lock, and the call state as a sensor. All share one device and
// the availability topic.
func (b *bridge) discovery() []discoveryMessage {
	device := map[string]any{
		"identifiers":  []string{b.node},
		"name":         "Intercom " + b.cfg.ClientID,
		"manufacturer": "intercom",
		"model":        "SIP door station",
		"sw_version":   version(),
	}
	common := func(object, name string) map[string]any {
		return map[string]any{
			"name":                  name,
			"unique_id":             b.node + "_" + object,
			"object_id":             b.node + "_" + object,
			"device":                device,
			"availability_topic":    b.topic("availability"),
			"payload_available":     Online,
			"payload_not_available": Offline,
		}
	}
	cfgTopic := func(component, object string) string {
		return b.cfg.DiscoveryPrefix + "/" + component + "/" + b.node + "/" + object + "/config"
	}

	doorbell := common("doorbell", "Doorbell")
	doorbell["state_topic"] = b.topic("event", "button_pressed")
	doorbell["event_types"] = []string{"press"}
	doorbell["device_class"] = "doorbell"

	lock := common("door", "Door")
	lock["command_topic"] = b.topic("door", "set")
	lock["payload_unlock"] = "OPEN"
	lock["payload_open"] = "OPEN"
	lock["payload_lock"] = "LOCK"
	lock["state_topic"] = b.topic("door")
	lock["state_locked"] = Locked
	lock["state_unlocked"] = Unlocked
	lock["optimistic"] = false
	lock["qos"] = 1

	call := common("call", "Call")
	call["state_topic"] = b.topic("call")
	call["device_class"] = "enum"
	call["options"] = []string{Idle, Ringing, Connected}
	call["icon"] = "mdi:phone"

	return []discoveryMessage{
		{cfgTopic("event", "doorbell"), doorbell},
		{cfgTopic("lock", "door"), lock},
		{cfgTopic("sensor", "call"), call},
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
