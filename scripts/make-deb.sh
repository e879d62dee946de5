#!/bin/sh
# Builds kioskd_VERSION_ARCH.deb and kioskd-screen_VERSION_all.deb from the
# release build (make deb), with Debian's own tools: dpkg-shlibdeps finds the
# shared libraries' packages, dpkg-gencontrol writes the control files,
# dpkg-deb builds, lintian checks (docs/packaging.md).
#   scripts/make-deb.sh OUTDIR     the packages, of DEB_BINARIES (default .build/release)
#   scripts/make-deb.sh --version  the version they get: KioskVersion's, or DEB_VERSION
# DEB_COMPRESSION: dpkg-deb's -Z (xz by default; the install test's debug packages use gzip).
set -eu
cd "$(dirname "$0")/.."
version=${DEB_VERSION:-$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/KioskCore/Version.swift)}
[ -n "$version" ] || { echo "make-deb: no version in Sources/KioskCore/Version.swift" >&2; exit 1; }
[ "${1:-}" = --version ] && { echo "$version"; exit 0; }
out=${1:-.}
release=${DEB_BINARIES:-.build/release}
for binary in kioskd kioskctl; do
    [ -x "$release/$binary" ] || { echo "make-deb: $release/$binary is missing: run make release first" >&2; exit 1; }
done
# Binaries that load the Swift runtime from the toolchain would not start on a station.
if ldd "$release/kioskd" | grep -q libswiftCore; then
    echo "make-deb: $release/kioskd loads the Swift runtime from the toolchain: build it with --static-swift-stdlib" >&2; exit 1
fi

work=.build/deb
rm -rf "$work"
mkdir -p "$work/debian" "$out"
# dpkg-gencontrol and dpkg-shlibdeps read a source package's debian/ folder.
cp deploy/debian/control "$work/debian/control"
{
    echo "kioskd ($version) unstable; urgency=medium"
    echo
    echo "  * Built from $(git rev-parse --short HEAD 2>/dev/null || echo 'a source tree')."
    echo
    echo " -- kioskd developers <kioskd@example.gov.cn>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} > "$work/debian/changelog"

install_file() { # MODE SOURCE DEST
    mkdir -p "$(dirname "$3")"
    install -m "$1" "$2" "$3"
}
docs() { # PACKAGE ROOT
    install_file 0644 deploy/debian/copyright "$2/usr/share/doc/$1/copyright"
    gzip -9n < "$work/debian/changelog" > "$work/changelog.gz"
    install_file 0644 "$work/changelog.gz" "$2/usr/share/doc/$1/changelog.gz"
}

# kioskd: the daemon, kioskctl, their data, unit, rules, users and folders.
root=$work/kioskd
install_file 0755 "$release/kioskd" "$root/usr/bin/kioskd"
install_file 0755 "$release/kioskctl" "$root/usr/bin/kioskctl"
strip --strip-unneeded "$root/usr/bin/kioskd" "$root/usr/bin/kioskctl"
for dir in ui data; do
    find "$dir" -type f | while read -r file; do install_file 0644 "$file" "$root/usr/share/kioskd/$file"; done
done
install_file 0644 deploy/systemd/kioskd.service "$root/lib/systemd/system/kioskd.service"
install_file 0644 deploy/udev/99-kioskd.rules "$root/lib/udev/rules.d/99-kioskd.rules"
install_file 0644 deploy/sysusers.d/kioskd.conf "$root/usr/lib/sysusers.d/kioskd.conf"
install_file 0644 deploy/debian/tmpfiles.conf "$root/usr/lib/tmpfiles.d/kioskd.conf"
install_file 0644 README.md "$root/usr/share/doc/kioskd/README.md"
find docs -maxdepth 1 -name '*.md' | while read -r file; do install_file 0644 "$file" "$root/usr/share/doc/kioskd/$file"; done
docs kioskd "$root"

# The station's configuration: the example with a station's paths. Each
# replacement must apply, so a change to the example cannot slip past.
station_config=$work/kioskd.yaml
cp config/kioskd.example.yaml "$station_config"
replace() { # FROM TO
    grep -qF -- "$1" "$station_config" || { echo "make-deb: config/kioskd.example.yaml no longer has '$1'" >&2; exit 1; }
    python3 - "$station_config" "$1" "$2" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}
replace "ui_dir: ./ui" "ui_dir: /usr/share/kioskd/ui"
replace "state_dir: ./var" "state_dir: /var/lib/kioskd"
replace "public_key: ./var/sim/platform-public.pem" "public_key: /etc/kioskd/platform-public.pem"
replace "catalogue: ./data/catalogue.json" "catalogue: /usr/share/kioskd/data/catalogue.json"
replace "calendar: ./data/holidays-cn.json" "calendar: /usr/share/kioskd/data/holidays-cn.json"
replace "port: serial:./var/sim/idcard?baud=115200" "port: auto"
replace "port: tcp:127.0.0.1:9100" "port: auto"
replace 'port: "sane:airscan:e0:Kiosk Scanner"' "port: none"
# 0644 as dpkg expects a conffile; the postinst makes it 0640 root:kioskd.
install_file 0644 "$station_config" "$root/etc/kioskd/kioskd.yaml"
install_file 0644 deploy/debian/kioskd.lintian-overrides "$root/usr/share/lintian/overrides/kioskd"

mkdir -p "$root/DEBIAN"
for script in postinst prerm postrm; do install_file 0755 "deploy/debian/kioskd.$script" "$root/DEBIAN/$script"; done
echo /etc/kioskd/kioskd.yaml > "$root/DEBIAN/conffiles"
(cd "$work" && dpkg-shlibdeps -Tdebian/kioskd.substvars kioskd/usr/bin/kioskd kioskd/usr/bin/kioskctl)
(cd "$work" && dpkg-gencontrol -pkioskd -Pkioskd -Tdebian/kioskd.substvars)

# kioskd-screen: the touchscreen's unit, its browser's policy and the rule that keeps keyboards off it.
screen=$work/kioskd-screen
install_file 0644 deploy/systemd/kioskd-screen.service "$screen/lib/systemd/system/kioskd-screen.service"
install_file 0644 deploy/chromium/kioskd-screen.json "$screen/etc/chromium/policies/managed/kioskd-screen.json"
install_file 0644 deploy/udev/70-kioskd-screen-keyboards.rules "$screen/lib/udev/rules.d/70-kioskd-screen-keyboards.rules"
docs kioskd-screen "$screen"
mkdir -p "$screen/DEBIAN"
for script in postinst postrm; do install_file 0755 "deploy/debian/kioskd-screen.$script" "$screen/DEBIAN/$script"; done
echo /etc/chromium/policies/managed/kioskd-screen.json > "$screen/DEBIAN/conffiles"
(cd "$work" && dpkg-gencontrol -pkioskd-screen -Pkioskd-screen)

for package in kioskd kioskd-screen; do
    (cd "$work/$package" && find . -path ./DEBIAN -prune -o -type f ! -path './etc/*' -print | sed 's|^\./||' | sort | xargs md5sum > DEBIAN/md5sums)
    chmod 0644 "$work/$package/DEBIAN/md5sums"
    dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$work/$package" "$out" >/dev/null
done
ls "$out"/kioskd_"$version"_*.deb "$out"/kioskd-screen_"$version"_all.deb
