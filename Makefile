# kioskd — two commands on a fresh Debian 12 machine:
#   make demo   run kioskd with every device simulated; UI on http://127.0.0.1:8080 (the address with its key is printed)
#   make test   build and run every test
# Each installs the Debian packages it needs the first time (apt-get as root, sudo otherwise).

SWIFT ?= swift
BIN := .build/debug
# The release build (make release, make bench). The Swift runtime and Foundation linked in
# (--static-swift-stdlib), so their code can be laid out with kioskd's. Each function in its own
# section, laid out by lld with the code that runs while kioskd starts and waits first, then what a
# visit adds (scripts/kioskd-code-order.txt, from `make code-order`), and the private functions
# LLVM leaves unnamed together after them (scripts/kioskd-code-layout.ld). The kernel maps code
# 64 KB around each page touched: scattered, the code kioskd runs at rest kept 15 MB of its own
# and 17 MB of the runtime's and Foundation's resident. Relative relocations packed (RELR): ld.so
# reads 15 KB of them instead of 1.4 MB (docs/operations.md, "Memory at rest").
RELEASE := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xswiftc -use-ld=lld \
	-Xlinker --symbol-ordering-file=$(CURDIR)/scripts/kioskd-code-order.txt -Xlinker --no-warn-symbol-ordering \
	-Xlinker -T -Xlinker $(CURDIR)/scripts/kioskd-code-layout.ld -Xlinker -z -Xlinker pack-relative-relocs

.PHONY: all build release deb deb-test shell-test test check-house check-page demo bench crash-test power-cut soak screens pinyin speech-readings stroke-orders code-order deps swift-check clean

all: build

swift-check:
	@command -v $(SWIFT) >/dev/null || { echo "make: swift not found: install Swift 6.1 or newer (https://swift.org/install) and put it on PATH" >&2; exit 1; }

deps: swift-check
	@scripts/install-deps.sh build

build: deps
	$(SWIFT) build

# What a station runs (README, "Installing on a station"): .build/release/kioskd and kioskctl.
release: deps
	@scripts/install-deps.sh release
	$(SWIFT) build $(RELEASE) --product kioskd
	$(SWIFT) build $(RELEASE) --product kioskctl

# The station's Debian packages, from the release build, checked by lintian (docs/packaging.md).
DEB_DIR ?= dist
deb: release
	@scripts/install-deps.sh package
	rm -rf $(DEB_DIR) && scripts/make-deb.sh $(DEB_DIR)
	lintian --fail-on error $(DEB_DIR)/*.deb

# The packages installed, upgraded (from a build one version older) with applications waiting,
# removed and purged in a clean Debian 12 root (root only). DEB_BUILD=debug packages the debug
# build linked as the release is (static Swift runtime): the same files and scripts, without
# the release build's quarter of an hour, so CI can afford it.
DEB_BUILD ?= release
deb-test: deps
	@scripts/install-deps.sh package
	@scripts/install-deps.sh test
	$(SWIFT) build
ifeq ($(DEB_BUILD),debug)
	# In a build folder of its own: built in .build, the static runtime's objects stay behind, and
	# the next plain build links them (ld: cannot find -lCoreFoundation).
	$(SWIFT) build --static-swift-stdlib --scratch-path .build-deb --product kioskd
	$(SWIFT) build --static-swift-stdlib --scratch-path .build-deb --product kioskctl
	mkdir -p .build/deb-binaries && cp .build-deb/debug/kioskd .build-deb/debug/kioskctl .build/deb-binaries/
else
	$(MAKE) release
	mkdir -p .build/deb-binaries && cp .build/release/kioskd .build/release/kioskctl .build/deb-binaries/
endif
	rm -rf $(DEB_DIR)
	DEB_BINARIES=.build/deb-binaries DEB_COMPRESSION=gzip DEB_VERSION=$$(scripts/make-deb.sh --version)~previous scripts/make-deb.sh $(DEB_DIR)/previous
	DEB_BINARIES=.build/deb-binaries DEB_COMPRESSION=gzip scripts/make-deb.sh $(DEB_DIR)
	/usr/bin/python3 Tests/Package/install_test.py $(DEB_DIR)/previous/kioskd_*.deb $$(ls $(DEB_DIR)/kioskd_*.deb)

# The kiosk shell (kioskd-screen.service: cage and Chromium with the unit's flags and the
# package's browser policy) run as kiosk-screen on a headless display; the keys that leave a
# kiosk pressed on it (root; docs/packaging.md, "The kiosk shell"). make test runs it too.
shell-test: deps
	@scripts/install-deps.sh test
	@scripts/install-deps.sh shell
	$(SWIFT) build
	/usr/bin/python3 Tests/Screen/cage_test.py

# The house's shape (scripts/check-house.py says the rules): file lengths, README's size, a pure
# KioskCore, no folders that reference each other both ways, the files architecture.md names.
check-house:
	/usr/bin/python3 Tests/House/check_house_test.py
	/usr/bin/python3 scripts/check-house.py

# The touchscreen page's modules type-checked from their JSDoc types (ui/types.js), offline.
check-page:
	@scripts/install-deps.sh page
	tsc -p scripts/check-page.json
	@echo "check-page: ui/ type-checks (tsc --checkJs, strict)"

test: deps
	@scripts/install-deps.sh test
	@scripts/install-deps.sh shell
	@$(MAKE) --no-print-directory check-house check-page
	@scripts/start-cups.sh
	@scripts/contract-venv.sh
	$(SWIFT) build --build-tests
	# One test at a time: in parallel on two cores the device simulators' replies, SQLite's busy
	# wait and the forwarder's deadlines were missed now and then (184 s serial, 106 s in parallel).
	$(SWIFT) test --skip-build --no-parallel
	Tests/Contract/schemathesis.sh
	/usr/bin/python3 Tests/Speech/speech_test.py
	/usr/bin/python3 Tests/Sandbox/unit_test.py
	/usr/bin/python3 Tests/Hostile/lockout_test.py
	/usr/bin/python3 Tests/Hostile/held_connections_test.py
	/usr/bin/python3 Tests/Devices/udev_test.py
	/usr/bin/python3 Tests/Devices/usb_test.py
	/usr/bin/python3 Tests/UI/visit_test.py
	/usr/bin/python3 Tests/Screen/cage_test.py
	/usr/bin/python3 Tests/PowerCut/lazyfs_test.py
	/usr/bin/python3 Tests/PowerCut/power_cut_test.py --cycles 12
	/usr/bin/python3 scripts/soak.py --minutes 2

# The fault campaign: simulated residents against kioskd with faults everywhere (docs/testing.md, "Soak").
SOAK_MINUTES ?= 10
soak: deps
	@scripts/install-deps.sh test
	@scripts/start-cups.sh
	$(SWIFT) build
	/usr/bin/python3 scripts/soak.py --minutes $(SOAK_MINUTES)

# Screenshots of every screen at 1080×1920 for docs/screens.md, taken by the browser tests,
# and the sheet of pictograms for docs/catalogue.md.
screens: deps
	@scripts/install-deps.sh test
	$(SWIFT) build
	rm -rf docs/screens
	SCREENSHOTS=docs/screens /usr/bin/python3 Tests/UI/visit_test.py
	scripts/screens-page.sh > docs/screens.md
	/usr/bin/python3 scripts/pictogram-sheet.py docs/pictograms.png

# The on-screen keyboard's pinyin table (ui/pinyin.json, committed), from Unicode's Unihan database.
pinyin:
	@scripts/install-deps.sh data
	/usr/bin/python3 scripts/make-pinyin-table.py ui/pinyin.json

# The standard stroke orders the writing pad's strokes are held against (ui/stroke-orders.json,
# committed), from Rime's stroke table (docs/handwriting.md).
stroke-orders:
	@scripts/install-deps.sh data
	/usr/bin/python3 scripts/make-stroke-orders.py ui/stroke-orders.json

# How kioskd reads Chinese aloud (ui/strings/zh-readings.json, committed): Unihan's usual readings,
# pypinyin's words and the reviewed corrections in scripts/speech-corrections.json (docs/speech.md).
speech-readings:
	@scripts/install-deps.sh data
	/usr/bin/python3 scripts/make-speech-readings.py "$$(scripts/speech-venv.sh)"

demo: deps
	@scripts/install-deps.sh demo
	@scripts/start-cups.sh
	$(SWIFT) build
	scripts/demo.sh

# The long power-cut run: the state directory on a layer that keeps only what was fsynced,
# power cut at random during visits, enqueues, uploads and purges (make test runs 12; docs/testing.md).
POWER_CUTS ?= 200
power-cut: deps
	@scripts/install-deps.sh test
	$(SWIFT) build
	/usr/bin/python3 Tests/PowerCut/lazyfs_test.py
	/usr/bin/python3 Tests/PowerCut/power_cut_test.py --cycles $(POWER_CUTS)

# The long crash-safety run: 1,000 SIGKILLs of a child kioskd (make test runs 60).
CRASH_KILLS ?= 1000
crash-test: deps
	$(SWIFT) build --build-tests
	KIOSKD_CRASH_KILLS=$(CRASH_KILLS) $(SWIFT) test --skip-build --filter CrashSafetyTests

clean:
	rm -rf .build .build-profile .build-deb var

# The release build's code layout, measured (needs root: scripts/make-code-order.py says why).
# Run it after changes that move much of what kioskd does at start or in a visit; a stale
# list still links, it only packs less.
code-order: deps
	@scripts/install-deps.sh test
	@scripts/install-deps.sh release
	$(SWIFT) build
	$(SWIFT) build -c release --static-swift-stdlib --product kioskd --scratch-path .build-profile -Xswiftc -Xllvm -Xswiftc -align-all-functions=12 -Xcc -mllvm -Xcc -align-all-functions=12
	/usr/bin/python3 scripts/make-code-order.py .build-profile/release $(BIN) scripts/kioskd-code-order.txt
	@# SwiftPM does not see the list change: the next release build must link again to use it.
	rm -f .build/*/release/kioskd

# Benchmarks print ratios against a baseline measured in the same run; one
# table of them all goes to bench/results.md (docs/benchmarks.md).
bench: deps
	@scripts/install-deps.sh test
	@scripts/install-deps.sh release
	@scripts/install-deps.sh shell
	@scripts/start-cups.sh
	$(SWIFT) build $(RELEASE) --product kioskd-bench
	$(SWIFT) build $(RELEASE) --product kioskd
	$(SWIFT) build $(RELEASE) --product hardware-sim
	$(SWIFT) build
	mkdir -p bench
	{ .build/release/kioskd-bench idcard && .build/release/kioskd-bench scan && .build/release/kioskd-bench outbox && .build/release/kioskd-bench events && .build/release/kioskd-bench handwriting && \
	  /usr/bin/python3 Benchmarks/daemon_bench.py && /usr/bin/python3 Benchmarks/ui_bench.py && \
	  BOOT_BENCH=1 /usr/bin/python3 Tests/Screen/cage_test.py --bin .build/release && echo "bench: every benchmark ran"; } 2>&1 | tee bench/run.log
	@grep -qx "bench: every benchmark ran" bench/run.log || { echo "make bench: a benchmark stopped (bench/run.log); bench/results.md is left as it was" >&2; exit 1; }
	scripts/bench-table.py bench/run.log > bench/results.md
	@cat bench/results.md
