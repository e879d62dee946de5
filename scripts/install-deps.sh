#!/bin/sh
# Installs the Debian packages a make target needs, once: a package already
# installed is not touched, so a second run costs one dpkg query.
#   scripts/install-deps.sh build|test|page|demo|data|release|package|shell
set -eu

# unifont: the bitmap font kioskd draws rare characters with; fonts-droid-fallback: the
# TrueType font whose glyphs A4 PDFs embed, so their Chinese is text (runtime needs).
# libqrencode and libpng: the receipt printer simulator's own QR and PNG encoders.
# libzinnia and its Simplified Chinese model read what residents write on the screen's pad.
build="pkg-config libusb-1.0-0-dev libsqlite3-dev libcups2-dev libsane-dev libjpeg62-turbo-dev zlib1g-dev unifont fonts-droid-fallback libqrencode-dev libpng-dev libzinnia-dev tegaki-zinnia-simplified-chinese"
# A real cupsd with the cups-pdf printer, pdftotext to read what it printed,
# zbarimg to decode QR codes the printer simulator drew; SANE's scanimage (its
# test backend ships with libsane1) and the sane-airscan eSCL backend;
# openssl makes the throw-away PKI of the mutual-TLS tests, curl is the
# upload benchmark's baseline.
services="cups printer-driver-cups-pdf poppler-utils zbar-tools sane-utils sane-airscan openssl curl"
# The power-cut test's layer that forgets what a power cut forgets (FUSE, through fusepy).
powercut="python3-fusepy"
# The platform contract's checkers (schemathesis, openapi-core) live in a virtualenv of Debian's python3.
contract="python3-venv"
# The touchscreen page in a real browser: Debian's headless Chromium driven by
# selenium (Debian's python3, not a virtualenv), with fonts that render Chinese.
browser="chromium chromium-driver python3-selenium fonts-noto-cjk"
# /metrics is read back by the Prometheus project's own text-format parser.
monitoring="python3-prometheus-client"
# The page's modules type-checked from their JSDoc types by TypeScript's checker (make check-page).
page="node-typescript"
# The units' sandbox: systemd-analyze scores them; kioskd runs under strace to check it fits them.
sandbox="systemd strace"
# Stable device names: umockdev's testbed (from Python through GObject introspection) provides a
# USB-serial reader's sysfs and tty; udev's udevadm applies the rules to it.
devices="udev umockdev gir1.2-umockdev-1.0 python3-gi"
# The screens speak Mandarin (espeak-ng's cmn-latn-pinyin voice), or English on an English screen.
speech="espeak-ng"
# Unicode's Unihan database, which make pinyin reads the keyboard's pinyin table from, and Rime's
# stroke table, which make stroke-orders reads the standard stroke orders from.
data="unicode-data rime-data-stroke"
# The release build links Foundation in (--static-swift-stdlib); hardware-sim's URLSession
# (FoundationNetworking) then links against libcurl.
release="libcurl4-openssl-dev"
# The Debian packages: built with dpkg's tools, checked by lintian, installed in a root mmdebstrap makes.
package="dpkg-dev lintian mmdebstrap"
# The kiosk shell as it runs on a station (cage, Chromium on Wayland, Xwayland), on a headless
# sway it nests in, with grim for screenshots and PIL to compare them.
shell="cage xwayland sway grim python3-pil"
case "${1:-build}" in
  build) wanted="$build" ;;
  test)  wanted="$build $services $browser $speech $monitoring $powercut $contract $sandbox $devices $page" ;;
  page)  wanted="$page" ;;
  demo)  wanted="$build $services fonts-noto-cjk $speech" ;;
  data)  wanted="$data" ;;
  release) wanted="$build $release" ;;
  package) wanted="$package" ;;
  shell) wanted="$shell" ;;
  *) echo "install-deps: unknown group '$1' (expected build, test, page, demo, data, release, package or shell)" >&2; exit 2 ;;
esac

missing=""
for p in $wanted; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "install-deps: need root or sudo to install:$missing" >&2; exit 1
fi
echo "install-deps: installing$missing"
apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q"
# A fresh machine has no package lists; refresh them once if an install fails for that.
$apt install --no-install-recommends $missing || { $apt update && $apt install --no-install-recommends $missing; }
