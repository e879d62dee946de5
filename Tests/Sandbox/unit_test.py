#!/usr/bin/python3
"""kioskd.service's sandbox, measured and checked against what kioskd does.

This machine has no systemd to run the unit under, so the test does the next
best thing: it scores the units with `systemd-analyze security --offline=yes`
(kioskd.service must stay at 3.0 or below), then runs `make demo`'s kioskd
under strace while simulated residents finish visits, and checks every
setting that could refuse kioskd something against what the trace shows:

- SystemCallFilter=: every system call made is allowed (scripts/unit-syscalls.py);
- RestrictAddressFamilies=: every socket's family is in the list;
- MemoryDenyWriteExecute=: no mapping both writable and executable;
- ProtectSystem=strict and ReadWritePaths=: nothing opened for writing outside
  the state directory, /run/kioskd, /tmp (PrivateTmp) and /dev;
- ProcSubset=pid and ProtectProc=invisible: nothing read from /proc but the
  process's own entries;
- DevicePolicy=closed and DeviceAllow=: no device opened but the
  pseudo-devices every service has, ttys and USB.

    Tests/Sandbox/unit_test.py      (run by make test)
"""
import os, re, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "deploy/systemd/kioskd.service")
SCREEN_UNIT = os.path.join(ROOT, "deploy/systemd/kioskd-screen.service")
BIN = os.path.join(ROOT, ".build/debug")
LISTEN = "127.0.0.1:18380"


def fail(message):
    print("sandbox FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def exposure(unit):
    report = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", unit], capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", report.stdout + report.stderr)
    if not match:
        fail("systemd-analyze gave no score for %s: %s" % (unit, report.stderr[-500:]))
    return float(match.group(1)), match.group(2)


def unit_setting(name):
    values = []
    for line in open(UNIT, encoding="utf-8"):
        if line.startswith(name + "="):
            values += line.split("=", 1)[1].split()
    return values


def trace_demo(state, trace):
    """make demo's kioskd under strace; hardware-sim's residents play visits; then SIGTERM."""
    wrapped = os.path.join(state, "bin")
    os.makedirs(wrapped)
    for name in ("hardware-sim", "kioskctl"):
        os.symlink(os.path.join(BIN, name), os.path.join(wrapped, name))
    with open(os.path.join(wrapped, "kioskd"), "w") as script:
        script.write('#!/bin/sh\nexec strace -f -qq -s 64 -o %s %s "$@"\n' % (trace, os.path.join(BIN, "kioskd")))
    os.chmod(os.path.join(wrapped, "kioskd"), 0o755)
    env = dict(os.environ, STATE_DIR=os.path.join(state, "demo"), DEMO_BIN=wrapped, DEMO_LISTEN=LISTEN, DEMO_PRINTER_PORT="19380",
               DEMO_SCANNER_LISTEN="127.0.0.1:18390", DEMO_PLATFORM_LISTEN="127.0.0.1:18391")
    log = open(os.path.join(state, "demo.log"), "w")
    demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                if b'"status" : "ok"' in urllib.request.urlopen("http://%s/healthz" % LISTEN, timeout=2).read()[:200]:
                    break
            except OSError:
                pass
            if time.time() > deadline or demo.poll() is not None:
                fail("the demo under strace did not come up: see %s/demo.log" % state)
            time.sleep(0.5)
        played = subprocess.run([os.path.join(BIN, "hardware-sim"), "residents", "--kiosk", "http://" + LISTEN,
                                 "--simulators", os.path.join(state, "demo/sim"), "--count", "3", "--seed", "7",
                                 "--screen-key", os.path.join(state, "demo/screen-key")],
                                capture_output=True, text=True, timeout=600)
        submitted = [line for line in played.stdout.splitlines() if "submitted, receipt" in line]
        if not submitted:
            fail("no simulated resident finished a visit under strace:\n%s\n%s" % (played.stdout[-1500:], played.stderr[-1500:]))
        return len(submitted)
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)


def check_trace(trace, state):
    lines = open(trace, encoding="utf-8", errors="replace").read().splitlines()
    problems = []
    families = set(unit_setting("RestrictAddressFamilies"))
    for line in lines:
        socket_call = re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)
        if socket_call and socket_call.group(1) not in families and "= -1" not in line:
            problems.append("a socket of family %s (RestrictAddressFamilies= has %s): %s" % (socket_call.group(1), " ".join(sorted(families)), line))
        if re.search(r"\b(mmap|mprotect)\(.*PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE|PROT_READ\|PROT_WRITE\|PROT_EXEC", line) and "= -1" not in line:
            problems.append("memory both writable and executable (MemoryDenyWriteExecute=yes): " + line)
        opened = re.search(r'\bopenat\(AT_FDCWD, "([^"]+)", ([A-Z_|]+)', line)
        if not opened or "= -1" in line:
            continue
        path, flags = opened.group(1), opened.group(2)
        absolute = os.path.normpath(path if path.startswith("/") else os.path.join(ROOT, path))
        writes = any(flag in flags for flag in ("O_WRONLY", "O_RDWR", "O_CREAT"))
        if writes and not (absolute.startswith(state) or absolute.startswith(("/run/kioskd", "/tmp/", "/dev/"))):
            problems.append("%s opened for writing outside the state directory (ProtectSystem=strict): %s" % (absolute, line))
        if absolute.startswith("/proc/") and not re.match(r"/proc/(self|thread-self|\d+)(/|$)", absolute):
            problems.append("%s read from /proc (ProcSubset=pid hides it): %s" % (absolute, line))
        if absolute.startswith("/dev/") and not re.match(r"/dev/(null|zero|full|random|urandom|tty|pts/|ptmx|tty(USB|ACM|S)\d|bus/usb/|kioskd/|shm/)", absolute):
            problems.append("device %s opened (DevicePolicy=closed allows only the station's): %s" % (absolute, line))
    return problems


def main():
    score, level = exposure(UNIT)
    screen_score, screen_level = exposure(SCREEN_UNIT)
    if score > 3.0:
        fail("kioskd.service scores %.1f (%s) in systemd-analyze security; it must stay at 3.0 or below" % (score, level))
    state = tempfile.mkdtemp(prefix="kioskd-sandbox-")
    trace = os.path.join(state, "kioskd.strace")
    visits = trace_demo(state, trace)
    calls = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/unit-syscalls.py"), UNIT, trace], capture_output=True, text=True)
    if calls.returncode != 0:
        fail(calls.stderr.strip())
    problems = check_trace(trace, state)
    if problems:
        fail("kioskd did what its unit's sandbox refuses:\n" + "\n".join(problems[:20]))
    print("sandbox: kioskd.service %.1f %s, kioskd-screen.service %.1f %s (systemd-analyze security); under strace, %d visits: %s; "
          "socket families, W^X mappings, writes, /proc and devices within the unit's settings"
          % (score, level, screen_score, screen_level, visits, calls.stdout.strip()))


if __name__ == "__main__":
    main()
