package alsa

// The kernel ABI of include/uapi/sound/asound.h for LP64 Linux. Every type
// here mirrors a C struct field for field; abi_test.go checks sizes, offsets
// and ioctl numbers against values taken from the C header with a C compiler.

import "unsafe"

// ioctl number encoding of asm-generic/ioctl.h (arm64, amd64, riscv64, loong64).
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	iocNRShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
)

func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<iocDirShift | typ<<iocTypeShift | nr<<iocNRShift | size<<iocSizeShift
}

func ioNone(typ, nr uintptr) uintptr     { return ioc(iocNone, typ, nr, 0) }
func ior(typ, nr, size uintptr) uintptr  { return ioc(iocRead, typ, nr, size) }
func iow(typ, nr, size uintptr) uintptr  { return ioc(iocWrite, typ, nr, size) }
func iowr(typ, nr, size uintptr) uintptr { return ioc(iocRead|iocWrite, typ, nr, size) }
func sizeofInt() uintptr                 { return 4 }
func sizeofT[T any]() uintptr            { var v T; return unsafe.Sizeof(v) }

// PCM and control ioctl requests.
var (
	ioctlPCMPVersion     = ior('A', 0x00, sizeofInt())
	ioctlPCMInfo         = ior('A', 0x01, sizeofT[pcmInfo]())
	ioctlPCMUserPVer     = iow('A', 0x04, sizeofInt())
	ioctlPCMHWRefine     = iowr('A', 0x10, sizeofT[hwParams]())
	ioctlPCMHWParams     = iowr('A', 0x11, sizeofT[hwParams]())
	ioctlPCMHWFree       = ioNone('A', 0x12)
	ioctlPCMSWParams     = iowr('A', 0x13, sizeofT[swParams]())
	ioctlPCMStatus       = ior('A', 0x20, sizeofT[pcmStatus]())
	ioctlPCMStatusExt    = iowr('A', 0x24, sizeofT[pcmStatus]())
	ioctlPCMPrepare      = ioNone('A', 0x40)
	ioctlPCMReset        = ioNone('A', 0x41)
	ioctlPCMStart        = ioNone('A', 0x42)
	ioctlPCMDrop         = ioNone('A', 0x43)
	ioctlPCMDrain        = ioNone('A', 0x44)
	ioctlPCMResume       = ioNone('A', 0x47)
	ioctlPCMWriteIFrames = iow('A', 0x50, sizeofT[xferI]())
	ioctlPCMReadIFrames  = ior('A', 0x51, sizeofT[xferI]())
	ioctlPCMLink         = iow('A', 0x60, sizeofInt())
	ioctlPCMUnlink       = ioNone('A', 0x61)

	ioctlCtlPVersion      = ior('U', 0x00, sizeofInt())
	ioctlCtlCardInfo      = ior('U', 0x01, sizeofT[ctlCardInfo]())
	ioctlCtlPCMNextDevice = ior('U', 0x30, sizeofInt())
	ioctlCtlPCMInfo       = iowr('U', 0x31, sizeofT[pcmInfo]())
)

// pcmVersion is SNDRV_PCM_VERSION, 2.0.15, the protocol this package speaks.
const pcmVersion = 2<<16 | 0<<8 | 15

// Stream directions (SNDRV_PCM_STREAM_*).
const (
	streamPlayback = 0
	streamCapture  = 1
)

// Access types (SNDRV_PCM_ACCESS_*).
const accessRWInterleaved = 3

// Sample formats (SNDRV_PCM_FORMAT_*) this package converts.
const (
	fmtS16LE   = 2
	fmtS32LE   = 10
	fmtS24_3LE = 32
)

// hw_params parameter indices (SNDRV_PCM_HW_PARAM_*).
const (
	paramAccess    = 0
	paramFormat    = 1
	paramSubformat = 2

	paramSampleBits  = 8
	paramFrameBits   = 9
	paramChannels    = 10
	paramRate        = 11
	paramPeriodTime  = 12
	paramPeriodSize  = 13
	paramPeriodBytes = 14
	paramPeriods     = 15
	paramBufferTime  = 16
	paramBufferSize  = 17
	paramBufferBytes = 18
	paramTickTime    = 19

	paramFirstMask     = paramAccess
	paramLastMask      = paramSubformat
	paramFirstInterval = paramSampleBits
	paramLastInterval  = paramTickTime
)

// snd_interval flag bits (a C bitfield, allocated from bit 0 on little-endian LP64).
const (
	intervalOpenMin = 1 << 0
	intervalOpenMax = 1 << 1
	intervalInteger = 1 << 2
	intervalEmpty   = 1 << 3
)

// mask is struct snd_mask: SNDRV_MASK_MAX (256) bits.
type mask struct {
	Bits [8]uint32
}

// interval is struct snd_interval.
type interval struct {
	Min, Max uint32
	Flags    uint32
}

// hwParams is struct snd_pcm_hw_params (608 bytes).
type hwParams struct {
	Flags     uint32
	Masks     [paramLastMask - paramFirstMask + 1]mask
	Mres      [5]mask
	Intervals [paramLastInterval - paramFirstInterval + 1]interval
	Ires      [9]interval
	Rmask     uint32
	Cmask     uint32
	Info      uint32
	Msbits    uint32
	RateNum   uint32
	RateDen   uint32
	FifoSize  uint64
	Reserved  [64]byte
}

// swParams is struct snd_pcm_sw_params (136 bytes).
type swParams struct {
	TstampMode       int32
	PeriodStep       uint32
	SleepMin         uint32
	_                uint32
	AvailMin         uint64
	XferAlign        uint64
	StartThreshold   uint64
	StopThreshold    uint64
	SilenceThreshold uint64
	SilenceSize      uint64
	Boundary         uint64
	Proto            uint32
	TstampType       uint32
	Reserved         [56]byte
}

// timespec is struct timespec on LP64.
type timespec struct {
	Sec, Nsec int64
}

// pcmStatus is struct snd_pcm_status (152 bytes).
type pcmStatus struct {
	State               int32
	_                   uint32
	TriggerTstamp       timespec
	Tstamp              timespec
	ApplPtr             uint64
	HWPtr               uint64
	Delay               int64
	Avail               uint64
	AvailMax            uint64
	Overrange           uint64
	SuspendedState      int32
	AudioTstampData     uint32
	AudioTstamp         timespec
	DriverTstamp        timespec
	AudioTstampAccuracy uint32
	Reserved            [20]byte
}

// xferI is struct snd_xferi (24 bytes).
type xferI struct {
	Result int64
	Buf    unsafe.Pointer
	Frames uint64
}

// pcmInfo is struct snd_pcm_info (288 bytes).
type pcmInfo struct {
	Device          uint32
	Subdevice       uint32
	Stream          int32
	Card            int32
	ID              [64]byte
	Name            [80]byte
	Subname         [32]byte
	DevClass        int32
	DevSubclass     int32
	SubdevicesCount uint32
	SubdevicesAvail uint32
	Sync            [16]byte
	Reserved        [64]byte
}

// ctlCardInfo is struct snd_ctl_card_info (376 bytes).
type ctlCardInfo struct {
	Card       int32
	Pad        int32
	ID         [16]byte
	Driver     [16]byte
	Name       [32]byte
	Longname   [80]byte
	Reserved   [16]byte
	Mixername  [80]byte
	Components [128]byte
}

// cString returns the NUL-terminated string at the start of b.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
