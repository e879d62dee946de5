# kioskd — two commands on a fresh Debian 12 machine:
#   make demo   run kioskd with every device simulated; UI on http://127.0.0.1:8080
#   make test   build and run every test
# Each installs the Debian packages it needs the first time (apt-get as root, sudo otherwise).

SWIFT ?= swift
BIN := .build/debug

.PHONY: all build test demo bench crash-test soak screens pinyin deps swift-check clean

all: build

swift-check:
	@command -v $(SWIFT) >/dev/null || { echo "make: swift not found: install Swift 6.1 or newer (https://swift.org/install) and put it on PATH" >&2; exit 1; }

deps: swift-check
	@scripts/install-deps.sh build

build: deps
	$(SWIFT) build

test: deps
	@scripts/install-deps.sh test
	@scripts/start-cups.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	/usr/bin/python3 Tests/UI/visit_test.py
	/usr/bin/python3 scripts/soak.py --minutes 2

# The fault campaign: simulated residents against kioskd with faults everywhere (README, "Soak").
SOAK_MINUTES ?= 10
soak: deps
	@scripts/install-deps.sh test
	@scripts/start-cups.sh
	$(SWIFT) build
	/usr/bin/python3 scripts/soak.py --minutes $(SOAK_MINUTES)

# Screenshots of every screen at 1080×1920 for docs/screens.md, taken by the browser tests.
screens: deps
	@scripts/install-deps.sh test
	$(SWIFT) build
	rm -rf docs/screens
	SCREENSHOTS=docs/screens /usr/bin/python3 Tests/UI/visit_test.py
	scripts/screens-page.sh > docs/screens.md

# The on-screen keyboard's pinyin table (ui/pinyin.json, committed), from Unicode's Unihan database.
pinyin:
	@scripts/install-deps.sh data
	/usr/bin/python3 scripts/make-pinyin-table.py ui/pinyin.json

demo: deps
	@scripts/install-deps.sh demo
	@scripts/start-cups.sh
	$(SWIFT) build
	scripts/demo.sh

# The long crash-safety run: 1,000 SIGKILLs of a child kioskd (make test runs 60).
CRASH_KILLS ?= 1000
crash-test: deps
	$(SWIFT) build --build-tests
	KIOSKD_CRASH_KILLS=$(CRASH_KILLS) $(SWIFT) test --skip-build --filter CrashSafetyTests

clean:
	rm -rf .build var

# Benchmarks print ratios against a baseline measured in the same run; one
# table of them all goes to bench/results.md (README, "Benchmarks").
bench: deps
	@scripts/install-deps.sh test
	@scripts/start-cups.sh
	$(SWIFT) build -c release --product kioskd-bench
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product hardware-sim
	$(SWIFT) build
	mkdir -p bench
	{ .build/release/kioskd-bench idcard && .build/release/kioskd-bench scan && .build/release/kioskd-bench outbox && \
	  /usr/bin/python3 Benchmarks/daemon_bench.py && /usr/bin/python3 Benchmarks/ui_touch_bench.py; } 2>&1 | tee bench/run.log
	scripts/bench-table.py bench/run.log > bench/results.md
	@cat bench/results.md
