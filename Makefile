# intercom: build, cross-build, test, bench, lint.
#
#   make build     host binary in bin/intercom
#   make arm64     static, stripped linux/arm64 binary in bin/intercom-linux-arm64
#   make test      the whole suite natively and as linux/arm64 under qemu
#   make bench     benchmarks, with the sipgo comparison side by side
#   make lint      gofmt, go vet, staticcheck
#   make fuzz      each fuzz target for FUZZTIME (default 30s)

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 1

# Debian packages the tests need, by the command each provides.
DEB_TOOLS := qemu-aarch64-static:qemu-user-static file:file

.PHONY: all build arm64 test test-native test-arm64 bench lint fuzz deps clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/intercom ./cmd/intercom

arm64:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath \
		-ldflags '-s -w $(LDFLAGS)' -o bin/intercom-linux-arm64 ./cmd/intercom
	@desc=$$(file -b bin/intercom-linux-arm64); echo "bin/intercom-linux-arm64: $$desc"; \
	case "$$desc" in *"ARM aarch64"*"statically linked"*) ;; \
	*) echo "error: bin/intercom-linux-arm64 is not a statically linked ARM aarch64 ELF" >&2; exit 1;; esac
	@echo "size: $$(stat -c %s bin/intercom-linux-arm64) bytes"

# deps installs the Debian packages the tests use when run as root, and
# otherwise names the one command that installs them.
deps:
	@missing=""; for t in $(DEB_TOOLS); do \
		command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
		else \
			echo "missing Debian packages; run:" >&2; \
			echo "  sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
	fi

test: deps test-native test-arm64

test-native:
	$(GO) test -count=1 ./...
	cd bench && $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...

test-arm64:
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static ./...

bench:
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) run $(STATICCHECK) ./...

fuzz:
	@for f in $$($(GO) test -list '^Fuzz' ./sipua/message | grep '^Fuzz'); do \
		echo "== $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./sipua/message || exit 1; done

clean:
	rm -rf bin
