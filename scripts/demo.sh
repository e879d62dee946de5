#!/bin/sh
# Runs kioskd with every device simulated: hardware-sim's station serves each
# device at the port kioskd's embedded default configuration opens.
# Ctrl-C (or SIGTERM) stops both. STATE_DIR (default: var) holds the state and
# the simulator links; DEMO_LISTEN and DEMO_PRINTER_PORT move the UI and the
# simulated receipt printer.
set -u
cd "$(dirname "$0")/.."
state="${STATE_DIR:-var}"
listen="${DEMO_LISTEN:-127.0.0.1:8080}"
printer_port="${DEMO_PRINTER_PORT:-9100}"
bin=.build/debug
mkdir -p "$state/sim"

"$bin/hardware-sim" station --dir "$state/sim" --printer-port "$printer_port" &
sim=$!
echo "kioskd demo: touchscreen UI on http://$listen  (health: http://$listen/healthz)"
KIOSKD_DEVICES_RECEIPT_PRINTER_PORT="tcp:127.0.0.1:$printer_port" \
  "$bin/kioskd" run --state-dir "$state" --listen "$listen" &
kioskd=$!

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
