package alsa

import (
	"testing"
	"unsafe"
)

// The expected values below were printed by a C program compiled with gcc
// against linux-libc-dev's <sound/asound.h> on x86_64 (LP64, the same layout
// as arm64): sizeof, offsetof and the SNDRV_*_IOCTL_* macros themselves.

func TestStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"snd_pcm_hw_params", unsafe.Sizeof(hwParams{}), 608},
		{"snd_pcm_sw_params", unsafe.Sizeof(swParams{}), 136},
		{"snd_pcm_status", unsafe.Sizeof(pcmStatus{}), 152},
		{"snd_xferi", unsafe.Sizeof(xferI{}), 24},
		{"snd_pcm_info", unsafe.Sizeof(pcmInfo{}), 288},
		{"snd_ctl_card_info", unsafe.Sizeof(ctlCardInfo{}), 376},
		{"snd_interval", unsafe.Sizeof(interval{}), 12},
		{"snd_mask", unsafe.Sizeof(mask{}), 32},
	} {
		if tc.got != tc.want {
			t.Errorf("sizeof(struct %s) = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestStructOffsets(t *testing.T) {
	var hp hwParams
	var sw swParams
	var st pcmStatus
	var x xferI
	var pi pcmInfo
	var ci ctlCardInfo
	for _, tc := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"hw_params.masks", unsafe.Offsetof(hp.Masks), 4},
		{"hw_params.mres", unsafe.Offsetof(hp.Mres), 100},
		{"hw_params.intervals", unsafe.Offsetof(hp.Intervals), 260},
		{"hw_params.ires", unsafe.Offsetof(hp.Ires), 404},
		{"hw_params.rmask", unsafe.Offsetof(hp.Rmask), 512},
		{"hw_params.cmask", unsafe.Offsetof(hp.Cmask), 516},
		{"hw_params.info", unsafe.Offsetof(hp.Info), 520},
		{"hw_params.msbits", unsafe.Offsetof(hp.Msbits), 524},
		{"hw_params.rate_num", unsafe.Offsetof(hp.RateNum), 528},
		{"hw_params.fifo_size", unsafe.Offsetof(hp.FifoSize), 536},
		{"hw_params.reserved", unsafe.Offsetof(hp.Reserved), 544},
		{"sw_params.avail_min", unsafe.Offsetof(sw.AvailMin), 16},
		{"sw_params.start_threshold", unsafe.Offsetof(sw.StartThreshold), 32},
		{"sw_params.stop_threshold", unsafe.Offsetof(sw.StopThreshold), 40},
		{"sw_params.boundary", unsafe.Offsetof(sw.Boundary), 64},
		{"sw_params.proto", unsafe.Offsetof(sw.Proto), 72},
		{"sw_params.tstamp_type", unsafe.Offsetof(sw.TstampType), 76},
		{"sw_params.reserved", unsafe.Offsetof(sw.Reserved), 80},
		{"status.trigger_tstamp", unsafe.Offsetof(st.TriggerTstamp), 8},
		{"status.appl_ptr", unsafe.Offsetof(st.ApplPtr), 40},
		{"status.hw_ptr", unsafe.Offsetof(st.HWPtr), 48},
		{"status.delay", unsafe.Offsetof(st.Delay), 56},
		{"status.avail", unsafe.Offsetof(st.Avail), 64},
		{"status.avail_max", unsafe.Offsetof(st.AvailMax), 72},
		{"status.overrange", unsafe.Offsetof(st.Overrange), 80},
		{"status.suspended_state", unsafe.Offsetof(st.SuspendedState), 88},
		{"status.audio_tstamp", unsafe.Offsetof(st.AudioTstamp), 96},
		{"status.reserved", unsafe.Offsetof(st.Reserved), 132},
		{"xferi.buf", unsafe.Offsetof(x.Buf), 8},
		{"xferi.frames", unsafe.Offsetof(x.Frames), 16},
		{"pcm_info.id", unsafe.Offsetof(pi.ID), 16},
		{"pcm_info.name", unsafe.Offsetof(pi.Name), 80},
		{"pcm_info.subname", unsafe.Offsetof(pi.Subname), 160},
		{"pcm_info.dev_class", unsafe.Offsetof(pi.DevClass), 192},
		{"pcm_info.subdevices_count", unsafe.Offsetof(pi.SubdevicesCount), 200},
		{"pcm_info.sync", unsafe.Offsetof(pi.Sync), 208},
		{"pcm_info.reserved", unsafe.Offsetof(pi.Reserved), 224},
		{"card_info.id", unsafe.Offsetof(ci.ID), 8},
		{"card_info.driver", unsafe.Offsetof(ci.Driver), 24},
		{"card_info.name", unsafe.Offsetof(ci.Name), 40},
		{"card_info.longname", unsafe.Offsetof(ci.Longname), 72},
		{"card_info.mixername", unsafe.Offsetof(ci.Mixername), 168},
		{"card_info.components", unsafe.Offsetof(ci.Components), 248},
	} {
		if tc.got != tc.want {
			t.Errorf("offsetof(%s) = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestIoctlNumbers(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"SNDRV_PCM_IOCTL_PVERSION", ioctlPCMPVersion, 0x80044100},
		{"SNDRV_PCM_IOCTL_INFO", ioctlPCMInfo, 0x81204101},
		{"SNDRV_PCM_IOCTL_USER_PVERSION", ioctlPCMUserPVer, 0x40044104},
		{"SNDRV_PCM_IOCTL_HW_REFINE", ioctlPCMHWRefine, 0xc2604110},
		{"SNDRV_PCM_IOCTL_HW_PARAMS", ioctlPCMHWParams, 0xc2604111},
		{"SNDRV_PCM_IOCTL_HW_FREE", ioctlPCMHWFree, 0x00004112},
		{"SNDRV_PCM_IOCTL_SW_PARAMS", ioctlPCMSWParams, 0xc0884113},
		{"SNDRV_PCM_IOCTL_STATUS", ioctlPCMStatus, 0x80984120},
		{"SNDRV_PCM_IOCTL_STATUS_EXT", ioctlPCMStatusExt, 0xc0984124},
		{"SNDRV_PCM_IOCTL_PREPARE", ioctlPCMPrepare, 0x00004140},
		{"SNDRV_PCM_IOCTL_RESET", ioctlPCMReset, 0x00004141},
		{"SNDRV_PCM_IOCTL_START", ioctlPCMStart, 0x00004142},
		{"SNDRV_PCM_IOCTL_DROP", ioctlPCMDrop, 0x00004143},
		{"SNDRV_PCM_IOCTL_DRAIN", ioctlPCMDrain, 0x00004144},
		{"SNDRV_PCM_IOCTL_RESUME", ioctlPCMResume, 0x00004147},
		{"SNDRV_PCM_IOCTL_WRITEI_FRAMES", ioctlPCMWriteIFrames, 0x40184150},
		{"SNDRV_PCM_IOCTL_READI_FRAMES", ioctlPCMReadIFrames, 0x80184151},
		{"SNDRV_PCM_IOCTL_LINK", ioctlPCMLink, 0x40044160},
		{"SNDRV_PCM_IOCTL_UNLINK", ioctlPCMUnlink, 0x00004161},
		{"SNDRV_CTL_IOCTL_PVERSION", ioctlCtlPVersion, 0x80045500},
		{"SNDRV_CTL_IOCTL_CARD_INFO", ioctlCtlCardInfo, 0x81785501},
		{"SNDRV_CTL_IOCTL_PCM_NEXT_DEVICE", ioctlCtlPCMNextDevice, 0x80045530},
		{"SNDRV_CTL_IOCTL_PCM_INFO", ioctlCtlPCMInfo, 0xc1205531},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#08x, want %#08x", tc.name, tc.got, tc.want)
		}
	}
	if pcmVersion != 0x2000f {
		t.Errorf("SNDRV_PCM_VERSION = %#x, want 0x2000f", pcmVersion)
	}
}

func TestCString(t *testing.T) {
	if got := cString([]byte("Loopback\x00junk")); got != "Loopback" {
		t.Errorf("cString = %q", got)
	}
	if got := cString([]byte("full")); got != "full" {
		t.Errorf("cString = %q", got)
	}
}
