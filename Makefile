# intercom: build, cross-build, test, bench, lint.
#
#   make build     host binary in bin/intercom
#   make arm64     static, stripped linux/arm64 binary in bin/intercom-linux-arm64
#   make test      the whole suite natively and as linux/arm64 under qemu,
#                  plus one pass of every benchmark as a smoke test, and
#                  the board in the loop (make test-board)
#   make bench     benchmarks, with the sipgo comparison (bench/) side by side
#   make bench-compare  the intercom and baresip as the door station, side by side
#   make lint      gofmt, go vet, staticcheck
#   make fuzz      each fuzz target of FUZZPKGS for FUZZTIME (default 30s)
#   make deps      install the Debian packages the tests need (as root)
#   make install   binary, unit and example config under $(DESTDIR) (as root)
#   make deb       bin/intercom_<version>_arm64.deb; make test-deb checks it

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
FUZZPKGS    ?= ./sipua/message ./sipua/sdp ./audio/codec ./sipua/media/jitter ./sipua/media ./sipua/digest ./sipua/locate ./cmd/intercom ./internal/peertest
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 1

# bench/ is a module of its own (it requires sipgo, which the firmware must
# not); the targets cover it only once it exists.
HAVE_BENCH  := $(wildcard bench/go.mod)

# Debian packages the tests need, as COMMAND:PACKAGE pairs.
DEB_TOOLS   := qemu-aarch64-static:qemu-user-static file:file sipp:sip-tester \
               baresip:baresip-core kamailio:kamailio sip-options:sofia-sip-bin \
               dnsmasq:dnsmasq-base systemd-analyze:systemd mosquitto:mosquitto \
               qemu-system-aarch64:qemu-system-arm fdtput:device-tree-compiler \
               svmap:sipvicious ip:iproute2

# install-debs installs the Debian packages of the COMMAND:PACKAGE pairs in $(1)
# whose command is missing: as root it runs apt-get; otherwise it prints the one
# command that does and fails. /usr/sbin (kamailio, dnsmasq) counts even when a
# user's PATH lacks it.
define install-debs
@PATH="$$PATH:/usr/sbin:/sbin"; missing=""; for t in $(1); do \
	command -v "$${t%%:*}" >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
if [ -z "$$missing" ]; then exit 0; fi; \
if [ "$$(id -u)" != 0 ]; then \
	echo "missing Debian packages:$$missing; run:" >&2; \
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	exit 1; \
fi; \
echo "apt-get install$$missing"; \
apt-get update -qq || exit 1; \
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null || exit 1; \
for t in $(1); do command -v "$${t%%:*}" >/dev/null 2>&1 || { \
	echo "error: $${t%%:*} still missing after installing $${t#*:}" >&2; exit 1; }; done
endef

# install-files is install-debs for packages better told by a FILE they
# install (headers, tools outside PATH), as FILE:PACKAGE pairs in $(1).
define install-files
@missing=""; for t in $(1); do [ -e "$${t%%:*}" ] || missing="$$missing $${t#*:}"; done; \
if [ -z "$$missing" ]; then exit 0; fi; \
if [ "$$(id -u)" != 0 ]; then \
	echo "missing Debian packages:$$missing; run:" >&2; \
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	exit 1; \
fi; \
echo "apt-get install$$missing"; \
apt-get update -qq || exit 1; \
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null || exit 1
endef

.PHONY: all demo build arm64 test test-native test-arm64 test-board test-load bench bench-compare lint fuzz deps clean oto-deps test-oto build-oto \
	install deb test-deb

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/intercom ./cmd/intercom

arm64:
	$(call install-debs,file:file)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath \
		-ldflags '-s -w $(LDFLAGS)' -o bin/intercom-linux-arm64 ./cmd/intercom
	@desc=$$(file -b bin/intercom-linux-arm64); echo "bin/intercom-linux-arm64: $$desc"; \
	case "$$desc" in *"ARM aarch64"*"statically linked"*) ;; \
	*) echo "error: bin/intercom-linux-arm64 is not a statically linked ARM aarch64 ELF" >&2; exit 1;; esac
	@echo "size: $$(stat -c %s bin/intercom-linux-arm64) bytes"

# The demo: the firmware on a simulated board calls a phone on this machine.
demo: build
	bin/intercom demo

deps:
	$(call install-debs,$(DEB_TOOLS))
	$(call install-files,$(SPEEX_DEBS))

test: deps test-native test-arm64 test-board

# Every package but the system tests, which test-board runs on their own.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/systest$$')

# The native run also runs each benchmark once (-benchtime 1x), so a broken
# benchmark fails here rather than when someone measures; in bench/ it also
# runs TestSameValues, which checks that both parsers read the same values.
test-native: deps
	$(GO) test -count=1 -bench . -benchtime 1x $(UNIT_PKGS)
	$(if $(HAVE_BENCH),cd bench && $(GO) test -count=1 -bench . -benchtime 1x ./...,@echo "no bench/go.mod: bench module skipped")
	cd bench/aec && CGO_ENABLED=1 $(GO) vet -tags speex ./... && \
		CGO_ENABLED=1 $(GO) test -count=1 -tags speex -v -run TestCompareSpeex -bench . -benchtime 1x ./...

# go test -exec runs each test binary in its package directory, as a native
# run does, so relative testdata paths work under qemu too. -short leaves out
# the system tests (PROTOS, soak, packet loss, registrar and network
# faults), which test nothing of the architecture, are timed against real
# servers, and run natively.
test-arm64: deps
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) test -count=1 -short -exec qemu-aarch64-static $(UNIT_PKGS)

# Load and faults at full size, with the figures RELIABILITY.md keeps: a
# flood of 2,000 INVITEs during a call, 1,000 calls in a row and a 3-minute
# registrar outage with standard timers (make test runs smaller ones).
test-load: deps
	INTERCOM_FLOOD=1 INTERCOM_SOAK_CALLS=1000 INTERCOM_LONG_FAULTS=1 $(GO) test -count=1 -v -timeout 30m \
		-run 'TestInviteFlood|TestSoak$$|TestRecoverLongOutage' ./cmd/intercom

# The board in the loop: make arm64's firmware on an emulated arm64 board
# (QEMU, Debian's kernel, real GPIO and ALSA drivers) against sipp on the
# host. It prints what it measured. The kernel and busybox are fetched once
# into BOARD_CACHE, in a folder named by their versions.
BOARD_CACHE ?= $(HOME)/.cache/intercom/board
test-board: deps arm64
	INTERCOM_BOARD_CACHE=$(BOARD_CACHE) INTERCOM_FIRMWARE=$(CURDIR)/bin/intercom-linux-arm64 \
		$(GO) test -count=1 -v -timeout 10m ./systest/

# The intercom against baresip as the door station, side by side: the same
# call to the same answering peer (sipp), COMPARE_TIME long, per codec,
# COMPARE_ROUNDS times; it fails when a median misses a target. make test
# runs it short, as a smoke test.
# COMPARE_PPROF=DIR also writes CPU profiles of the intercom's idle and call
# windows there (a build with -tags pprof).
COMPARE_TIME ?= 60s
COMPARE_ROUNDS ?= 3
# The two systems run at once, each with its answering peer on a CPU of
# its own, swapped each round: the machine's bursts of noise then fall on
# both alike. COMPARE_FLAGS=-compare.together=false runs them one after
# the other (add -compare.cpus S,P to pin the station and the peer).
COMPARE_FLAGS ?= -compare.together
bench-compare: deps
	cd bench && $(GO) test -count=1 -v -timeout 30m -run TestCompare ./compare \
		-compare.duration $(COMPARE_TIME) -compare.rounds $(COMPARE_ROUNDS) $(COMPARE_FLAGS) -compare.targets $(if $(COMPARE_PPROF),-compare.pprof $(abspath $(COMPARE_PPROF)))

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...
	$(if $(HAVE_BENCH),cd bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...,@echo "no bench/go.mod: bench module skipped")
	cd bench/aec && CGO_ENABLED=1 $(GO) test -tags speex -run TestCompareSpeex -v -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...

# gofmt checks every .go file in the tree (bench/ included, testdata not),
# tracked or not, so an unformatted new file is caught before it is committed.
lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*') </dev/null 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(if $(HAVE_BENCH),cd bench && $(GO) vet ./...)
	cd bench/aec && $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(if $(HAVE_BENCH),cd bench && $(GO) run $(STATICCHECK) ./...)
	cd bench/aec && $(GO) run $(STATICCHECK) ./...

fuzz:
	@set -e; for p in $(FUZZPKGS); do \
		list=$$($(GO) test -list '^Fuzz' $$p); \
		targets=$$(printf '%s\n' "$$list" | grep '^Fuzz' || true); \
		if [ -z "$$targets" ]; then echo "no fuzz targets in $$p"; continue; fi; \
		for f in $$targets; do \
			echo "== $$p $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p; \
		done; \
	done

# The speex echo canceller, the anchor bench/aec compares ours with (cgo).
SPEEX_DEBS := /usr/include/speex/speex_echo.h:libspeexdsp-dev \
              /usr/include/stdlib.h:libc6-dev \
              /usr/bin/gcc:gcc

# The oto backend (audio/oto, build tag oto) needs cgo: a C compiler,
# pkg-config and alsa-lib's headers, as FILE:PACKAGE pairs.
OTO_DEBS := /usr/include/alsa/asoundlib.h:libasound2-dev \
            /usr/include/stdlib.h:libc6-dev \
            /usr/bin/pkg-config:pkg-config \
            /usr/bin/gcc:gcc

oto-deps:
	$(call install-files,$(OTO_DEBS))

# The oto tests (playback checked sample by sample through alsa-lib's file
# plugin), with vet and staticcheck under the tag.
test-oto: oto-deps
	CGO_ENABLED=1 $(GO) vet -tags oto ./audio/oto/ ./cmd/intercom/
	CGO_ENABLED=1 $(GO) run $(STATICCHECK) -tags oto ./audio/oto/ ./cmd/intercom/
	CGO_ENABLED=1 $(GO) test -count=1 -tags oto ./audio/oto/

# A dynamically linked firmware with the oto playback device.
build-oto: oto-deps
	CGO_ENABLED=1 $(GO) build -trimpath -tags oto -ldflags '$(LDFLAGS)' -o bin/intercom-oto ./cmd/intercom

# install puts BIN (the host build by default; BIN=bin/intercom-linux-arm64
# for the board) at $(DESTDIR)/usr/bin/intercom, the unit and the gpio udev
# rule under $(DESTDIR)/lib, and EXAMPLE_CONFIG at
# $(DESTDIR)/etc/intercom/intercom.toml unless a config is there already.
# The intercom user and groups come from packaging/debian/postinst (the .deb
# runs it; after a bare make install run `sh packaging/debian/postinst
# configure` as root).
DESTDIR        ?=
BIN            ?= bin/intercom
EXAMPLE_CONFIG ?= $(firstword $(wildcard intercom.example.toml cmd/intercom/testdata/config/example.toml) \
                  cmd/intercom/testdata/config/full.toml)

install: $(if $(filter bin/intercom,$(BIN)),build)
	@test -x "$(BIN)" || { echo "error: no $(BIN); make build, or make arm64 and BIN=bin/intercom-linux-arm64" >&2; exit 1; }
	install -D -m 755 $(BIN) $(DESTDIR)/usr/bin/intercom
	install -D -m 644 systemd/intercom.service $(DESTDIR)/lib/systemd/system/intercom.service
	install -D -m 644 packaging/60-intercom-gpio.rules $(DESTDIR)/lib/udev/rules.d/60-intercom-gpio.rules
	@if [ -e "$(DESTDIR)/etc/intercom/intercom.toml" ]; then \
		echo "$(DESTDIR)/etc/intercom/intercom.toml exists: left as it is"; \
	else \
		echo "install -D -m 640 $(EXAMPLE_CONFIG) $(DESTDIR)/etc/intercom/intercom.toml"; \
		install -D -m 640 $(EXAMPLE_CONFIG) $(DESTDIR)/etc/intercom/intercom.toml; \
	fi

# deb stages make install of the arm64 binary in bin/deb and builds
# bin/intercom_<version>_arm64.deb with dpkg-deb. A Debian version starts
# with a digit and has no '-' without a revision: v1.2.0-3-gabc becomes
# 1.2.0+3+gabc, an untagged 4cc60af becomes 0.0~git4cc60af.
DEB_VERSION ?= $(shell printf '%s' '$(VERSION)' | sed -e '/^v\{0,1\}[0-9][0-9]*\./!s/^/0.0~git/' \
                 -e 's/^v\([0-9]\)/\1/' -e 's/[^A-Za-z0-9.+~]/+/g')
DEB         := bin/intercom_$(DEB_VERSION)_arm64.deb
DEB_ROOT    := bin/deb

deb: arm64
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) BIN=bin/intercom-linux-arm64
	install -d -m 755 $(DEB_ROOT)/DEBIAN
	install -m 755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm $(DEB_ROOT)/DEBIAN/
	install -m 644 packaging/debian/conffiles $(DEB_ROOT)/DEBIAN/
	sed -e 's/@VERSION@/$(DEB_VERSION)/' \
		-e "s/@INSTALLED_SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" \
		packaging/debian/control >$(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(DEB)

test-deb: deb
	packaging/test-deb.sh $(DEB) $(DEB_VERSION)

clean:
	rm -rf bin
