#!/usr/bin/python3
"""kioskd as a process (release build): resident memory idle and during a
10-page scan, and cold start to ready with an empty outbox and with 100,000
applications queued. Every device is simulated (hardware-sim station), as in
`make demo`.

- Cold start: from spawning kioskd to the touchscreen's screen answering
  (GET /api/screen, polled every 2 ms: a resident can start), median of 7
  starts on the same state directory; goal ≤ 1 s, and with 100,000 queued
  ≤ 1.2× the empty start (its baseline, measured here). The first /healthz
  after it (which reads the queue's summary) is printed too.
- Memory: VmRSS of kioskd 10 s after ready with nobody at the kiosk (goal
  ≤ 40 MB), and its peak (sampled every 10 ms) while a session scans ten
  pages through the local API and holds them (goal ≤ 120 MB).
- CPU at rest: kioskd's CPU time (its threads' schedstat) over 20 s at the attract
  screen, nobody at the kiosk, with the ID-card reader polled at its
  default interval (25 ms), against the same build polling every 300 ms;
  two rounds of each, alternating. No goal: the figure shows what the
  faster poll costs (docs/benchmarks.md, "CPU at rest").

    Benchmarks/daemon_bench.py [--bin .build/release] [--queued 100000]

Prints a RESULT line per figure for bench/results.md (scripts/bench-table.py).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station, free_port, rss_kb  # noqa: E402


def result(name, figure, baseline, ratio, goal, passed):
    verdict = "—" if passed is None else "PASS" if passed else "MISS"
    print("\t".join(["RESULT", name, figure, baseline, "—" if ratio is None else "%.2f" % ratio, goal, verdict]), flush=True)


def api(station, path, body=None, state=None):
    """The local API of the kioskd running on the state directory `state`, with the screen key it made there."""
    return station.api(path, body, state_dir=state)


def wait_screen(station, names, seconds=30, state=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        screen = api(station, "/api/screen", state=state)
        if screen["screen"] in names:
            return screen
        time.sleep(0.05)
    raise SystemExit("bench: the screen stayed %s, expected %s" % (screen["screen"], names))


def cold_starts(station, state_dir, env=None, rounds=7):
    """Median seconds to ready, and to the first /healthz answered after it."""
    times, health = [], []
    for _ in range(rounds):
        process, seconds = station.start_kioskd(state_dir, env)
        times.append(seconds)
        asked = time.perf_counter()
        urllib.request.urlopen("http://%s/healthz" % station.listen, timeout=10).read()
        health.append(seconds + time.perf_counter() - asked)
        Station.stop_kioskd(process)
    return statistics.median(times), statistics.median(health)


def cpu_ms(pid):
    """The CPU time of a process's threads so far, in ms, from each one's
    schedstat (nanoseconds on a CPU): /proc/PID/stat counts 10 ms ticks, 0.5
    ms/s over 20 s, about what the faster poll costs."""
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as stat:
                total += int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total / 1e6


def cpu_at_rest(station, state_dir, env=None, seconds=20):
    """kioskd's CPU in ms per second, at the attract screen after it settles."""
    process, _ = station.start_kioskd(state_dir, env)
    try:
        wait_screen(station, ["attract"], state=state_dir)
        time.sleep(5)
        before, start = cpu_ms(process.pid), time.monotonic()
        time.sleep(seconds)
        return (cpu_ms(process.pid) - before) / (time.monotonic() - start)
    finally:
        Station.stop_kioskd(process)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    parser.add_argument("--queued", type=int, default=100_000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kioskd-daemon-bench-")
    station = Station(args.bin, work)
    try:
        # Cold start, empty outbox: a state directory kioskd has run on once.
        empty = os.path.join(work, "empty")
        Station.stop_kioskd(station.start_kioskd(empty)[0])
        os.sync()
        empty_start, empty_health = cold_starts(station, empty)
        # The same with the outbox full: applications made by `kioskd churn`, the platform unreachable so all stay queued.
        full = os.path.join(work, "full")
        fill_env = dict(station.env, KIOSKD_PLATFORM_URL="http://127.0.0.1:%d" % free_port())
        filled = time.perf_counter()
        subprocess.run([os.path.join(args.bin, "kioskd"), "churn", "--state-dir", full, "--applications", str(args.queued), "--max-pages", "0", "--per-day", "50000"],
                       cwd=ROOT, env=fill_env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        filled = time.perf_counter() - filled
        # The fill's writeback is not kioskd's start: the disk idle for both, as before the empty starts.
        os.sync()
        full_start, full_health = cold_starts(station, full, fill_env)
        process, _ = station.start_kioskd(full, fill_env)
        queued = json.load(urllib.request.urlopen("http://%s/healthz" % station.listen))
        Station.stop_kioskd(process)
        detail = next(c["detail"] for c in queued["components"] if c["name"] == "outbox")
        print("cold start to ready (spawn → GET /api/screen answers; then the first /healthz), median of 7, release build")
        print("  empty outbox:   %.0f ms  (/healthz %.0f ms)" % (empty_start * 1000, empty_health * 1000))
        print("  %d queued: %.0f ms  (/healthz %.0f ms; %s; filled in %.0f s)" % (args.queued, full_start * 1000, full_health * 1000, detail.split(",")[0], filled))
        result("cold start to ready", "%.0f ms" % (empty_start * 1000), "—", None, "≤ 1 s", empty_start <= 1.0)
        result("cold start, %d queued" % args.queued, "%.0f ms" % (full_start * 1000), "empty %.0f ms" % (empty_start * 1000),
               full_start / empty_start, "≤ 1.20", full_start / empty_start <= 1.2)

        # Memory: idle, then a session scanning ten pages.
        process, _ = station.start_kioskd(empty)
        wait_screen(station, ["attract"], state=empty)
        time.sleep(10)
        idle = rss_kb(process.pid)
        peak = [idle]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_kb(process.pid))
                time.sleep(0.01)

        station.control("idcard_reader", "card", "put", "zhao-shulan")  # 85: old enough for 高龄津贴
        wait_screen(station, ["home"], state=empty)
        screen = api(station, "/api/touch", {"type": "menu", "menu": "search", "value": "高龄"}, state=empty)
        api(station, "/api/touch", {"type": "choose", "code": screen["menu"][0]["code"]}, state=empty)
        api(station, "/api/touch", {"type": "next"}, state=empty)
        api(station, "/api/touch", {"type": "set_field", "id": "phone", "value": "13912345678"}, state=empty)
        api(station, "/api/touch", {"type": "set_field", "id": "bank_account", "value": "6222020200112233446"}, state=empty)
        screen = api(station, "/api/touch", {"type": "next"}, state=empty)
        material = screen["materials"][0]["id"]
        threading.Thread(target=sample, daemon=True).start()
        for _ in range(10):
            api(station, "/api/touch", {"type": "scan", "material": material}, state=empty)
            screen = wait_screen(station, ["materials"], 60, state=empty)
        sampling.set()
        pages = next(m["pages"] for m in screen["materials"] if m["id"] == material)
        api(station, "/api/touch", {"type": "end"}, state=empty)
        # The resident takes the card: left on the reader, it is asked after every 300 ms whatever
        # the empty reader's interval, and the CPU at rest below compared two kiosks at 300 ms.
        station.control("idcard_reader", "card", "remove")
        Station.stop_kioskd(process)
        print("kioskd's resident memory (VmRSS), release build")
        print("  idle, 10 s after ready:        %.1f MB" % (idle / 1024))
        print("  peak while scanning %d pages:  %.1f MB" % (pages, peak[0] / 1024))
        result("RSS idle", "%.1f MB" % (idle / 1024), "—", None, "≤ 40 MB", idle <= 40 * 1024)
        result("RSS during a %d-page scan (peak)" % pages, "%.1f MB" % (peak[0] / 1024), "idle %.1f MB" % (idle / 1024), peak[0] / idle, "≤ 120 MB", peak[0] <= 120 * 1024)
        # CPU at rest: the default poll against the old 300 ms one.
        old_env = dict(station.env, KIOSKD_DEVICES_IDCARD_READER_POLL_MS="300")
        default, slow = [], []
        for _ in range(2):
            default.append(cpu_at_rest(station, empty))
            slow.append(cpu_at_rest(station, empty, old_env))
        rest, rest_slow = statistics.median(default), statistics.median(slow)
        print("kioskd's CPU at rest (attract screen, nobody at the kiosk), release build")
        print("  reader polled at the default interval: %s ms/s" % ", ".join("%.2f" % v for v in default))
        print("  reader polled every 300 ms:            %s ms/s" % ", ".join("%.2f" % v for v in slow))
        result("CPU at rest", "%.2f ms/s" % rest, "poll 300 ms %.2f ms/s" % rest_slow, rest / rest_slow, "—", None)
    finally:
        station.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
