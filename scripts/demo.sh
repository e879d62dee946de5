#!/bin/sh
# Runs kioskd with every device simulated: hardware-sim's station serves each
# device at the port kioskd's embedded default configuration opens.
# Ctrl-C (or SIGTERM) stops both. STATE_DIR (default: var) holds the state and
# the simulator links; DEMO_LISTEN, DEMO_PRINTER_PORT, DEMO_SCANNER_LISTEN and
# DEMO_PLATFORM_LISTEN move the UI, the simulated receipt printer, scanner and
# provincial platform; DEMO_BIN=.build/release runs release binaries.
set -u
cd "$(dirname "$0")/.."
state="${STATE_DIR:-var}"
listen="${DEMO_LISTEN:-127.0.0.1:8080}"
printer_port="${DEMO_PRINTER_PORT:-9100}"
bin="${DEMO_BIN:-.build/debug}"
scanner_listen="${DEMO_SCANNER_LISTEN:-127.0.0.1:8090}"
platform_listen="${DEMO_PLATFORM_LISTEN:-127.0.0.1:8091}"
mkdir -p "$state/sim" "$state/sane.d"

# SANE reaches the simulated eSCL scanner through sane-airscan; the test
# backend is there too (Debian's dll.conf comments it out).
printf 'airscan\ntest\n' > "$state/sane.d/dll.conf"
cp /etc/sane.d/test.conf "$state/sane.d/" 2>/dev/null || true
printf '[devices]\n"Kiosk Scanner" = http://%s/eSCL, eSCL\n[options]\ndiscovery = disable\n' "$scanner_listen" > "$state/sane.d/airscan.conf"

"$bin/hardware-sim" station --dir "$state/sim" --printer-port "$printer_port" \
  --scanner-listen "$scanner_listen" --platform-listen "$platform_listen" &
sim=$!
# The simulated platform writes its public key at start; kioskd seals to it.
tries=0
while [ ! -s "$state/sim/platform-public.pem" ] && [ "$tries" -lt 100 ] && kill -0 "$sim" 2>/dev/null; do
  sleep 0.1
  tries=$((tries + 1))
done
# kioskd makes the screen's key anew at each start; the address to open carries it.
rm -f "$state/screen-key"
KIOSKD_DEVICES_RECEIPT_PRINTER_PORT="tcp:127.0.0.1:$printer_port" \
KIOSKD_DEVICES_SCANNER_SANE_CONFIG_DIR="$state/sane.d" \
KIOSKD_PLATFORM_URL="http://$platform_listen" \
  "$bin/kioskd" run --state-dir "$state" --listen "$listen" &
kioskd=$!
tries=0
while [ ! -s "$state/screen-key" ] && [ "$tries" -lt 300 ] && kill -0 "$kioskd" 2>/dev/null; do
  sleep 0.1
  tries=$((tries + 1))
done
[ -s "$state/screen-key" ] && echo "kioskd demo: touchscreen UI on http://$listen/?key=$(cat "$state/screen-key")  (health: http://$listen/healthz)"

# Background jobs of a script ignore SIGINT, so forward Ctrl-C and SIGTERM
# as SIGTERM: kioskd then shuts down gracefully.
trap 'kill -TERM "$kioskd" "$sim" 2>/dev/null' INT TERM
# A trap interrupts `wait` (status 130/143); wait again until kioskd has
# really exited, so the script's status is kioskd's own.
while :; do
  wait "$kioskd"
  status=$?
  kill -0 "$kioskd" 2>/dev/null || break
done
kill -TERM "$sim" 2>/dev/null
wait "$sim" 2>/dev/null
exit "$status"
