#!/bin/sh
# Starts cupsd with the cups-pdf virtual printer KioskPDF, which the tests and
# make demo print to as the A4 printer
# (jobs land as PDF files in the submitting user's ~/PDF).
# Idempotent; needs root or sudo. See ../shared/SETUP-NOTES.md.
set -eu
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi

if ! lpstat -r 2>/dev/null | grep -q "is running"; then
  # No systemd in containers and CI: start cupsd directly (it daemonizes).
  $sudo /usr/sbin/cupsd
  i=0
  until lpstat -r 2>/dev/null | grep -q "is running"; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "start-cups: cupsd did not start; see /var/log/cups/error_log" >&2; exit 1; }
    sleep 0.1
  done
fi
if ! lpstat -p KioskPDF >/dev/null 2>&1; then
  # lpadmin warns that printer drivers are deprecated; cups-pdf still needs its PPD.
  $sudo lpadmin -p KioskPDF -v cups-pdf:/ -E -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null
fi
# As kioskd's package sets a station's CUPS: no printed document kept in the spool.
if ! cupsctl | grep -qx "PreserveJobFiles=No"; then
  $sudo cupsctl PreserveJobFiles=No
  # cupsctl restarts cupsd: wait for it.
  i=0
  until lpstat -r 2>/dev/null | grep -q "is running"; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "start-cups: cupsd did not come back after cupsctl; see /var/log/cups/error_log" >&2; exit 1; }
    sleep 0.1
  done
fi
$sudo cupsenable KioskPDF
$sudo cupsaccept KioskPDF
echo "start-cups: cupsd running, queue KioskPDF ready"
