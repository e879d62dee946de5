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

    Benchmarks/daemon_bench.py [--bin .build/release] [--queued 100000]

Prints a RESULT line per figure for bench/results.md (scripts/bench-table.py).
"""
import argparse, json, os, shutil, signal, socket, statistics, subprocess, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])


def result(name, figure, baseline, ratio, goal, passed):
    print("\t".join(["RESULT", name, figure, baseline, "—" if ratio is None else "%.2f" % ratio, goal, "PASS" if passed else "MISS"]), flush=True)


class Station:
    def __init__(self, bin_dir, state):
        self.bin, self.state, self.sim = bin_dir, state, os.path.join(state, "sim")
        os.makedirs(os.path.join(state, "sane.d"), exist_ok=True)
        self.listen = "127.0.0.1:%d" % free_port()
        printer, scanner, platform = free_port(), "127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % free_port()
        with open(os.path.join(state, "sane.d/dll.conf"), "w") as f:
            f.write("airscan\n")
        with open(os.path.join(state, "sane.d/airscan.conf"), "w") as f:
            f.write('[devices]\n"Kiosk Scanner" = http://%s/eSCL, eSCL\n[options]\ndiscovery = disable\n' % scanner)
        self.process = subprocess.Popen([os.path.join(bin_dir, "hardware-sim"), "station", "--dir", self.sim, "--printer-port", str(printer),
                                         "--scanner-listen", scanner, "--platform-listen", platform],
                                        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 20
        while not os.path.exists(os.path.join(self.sim, "idcard_reader.control")) or not os.path.exists(os.path.join(self.sim, "platform-public.pem")):
            if time.time() > deadline:
                raise SystemExit("bench: hardware-sim station did not start")
            time.sleep(0.05)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSKD_")}
        self.env.update(KIOSKD_DEVICES_IDCARD_READER_PORT="serial:%s/idcard?baud=115200" % self.sim, KIOSKD_DEVICES_RECEIPT_PRINTER_PORT="tcp:127.0.0.1:%d" % printer, KIOSKD_DEVICES_SCANNER_SANE_CONFIG_DIR=os.path.join(state, "sane.d"),
                        KIOSKD_PLATFORM_URL="http://" + platform, KIOSKD_PLATFORM_PUBLIC_KEY=os.path.join(self.sim, "platform-public.pem"))

    def control(self, device, *words):
        subprocess.run([os.path.join(self.bin, "hardware-sim"), "control", "--socket", os.path.join(self.sim, device + ".control"), *words],
                       check=True, capture_output=True)

    def start(self, state_dir, env=None):
        """Starts kioskd; returns the process and the seconds from spawn to the touchscreen's screen answering."""
        started = time.perf_counter()
        process = subprocess.Popen([os.path.join(self.bin, "kioskd"), "run", "--state-dir", state_dir, "--listen", self.listen],
                                   cwd=ROOT, env=env or self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                urllib.request.urlopen("http://%s/api/screen" % self.listen, timeout=1).read()
                return process, time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise SystemExit("bench: kioskd exited (%d) before it was ready" % process.returncode)
                time.sleep(0.002)

    @staticmethod
    def stop(process):
        process.send_signal(signal.SIGTERM)
        process.wait(30)

    def close(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def api(station, path, body=None):
    request = urllib.request.Request("http://%s%s" % (station.listen, path), data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=60))


def wait_screen(station, names, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        screen = api(station, "/api/screen")
        if screen["screen"] in names:
            return screen
        time.sleep(0.05)
    raise SystemExit("bench: the screen stayed %s, expected %s" % (screen["screen"], names))


def cold_starts(station, state_dir, env=None, rounds=7):
    """Median seconds to ready, and to the first /healthz answered after it."""
    times, health = [], []
    for _ in range(rounds):
        process, seconds = station.start(state_dir, env)
        times.append(seconds)
        asked = time.perf_counter()
        urllib.request.urlopen("http://%s/healthz" % station.listen, timeout=10).read()
        health.append(seconds + time.perf_counter() - asked)
        Station.stop(process)
    return statistics.median(times), statistics.median(health)


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
        Station.stop(station.start(empty)[0])
        empty_start, empty_health = cold_starts(station, empty)
        # The same with the outbox full: applications made by `kioskd churn`, the platform unreachable so all stay queued.
        full = os.path.join(work, "full")
        fill_env = dict(station.env, KIOSKD_PLATFORM_URL="http://127.0.0.1:%d" % free_port())
        filled = time.perf_counter()
        subprocess.run([os.path.join(args.bin, "kioskd"), "churn", "--state-dir", full, "--applications", str(args.queued), "--max-pages", "0", "--per-day", "50000"],
                       cwd=ROOT, env=fill_env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        filled = time.perf_counter() - filled
        full_start, full_health = cold_starts(station, full, fill_env)
        process, _ = station.start(full, fill_env)
        queued = json.load(urllib.request.urlopen("http://%s/healthz" % station.listen))
        Station.stop(process)
        detail = next(c["detail"] for c in queued["components"] if c["name"] == "outbox")
        print("cold start to ready (spawn → GET /api/screen answers; then the first /healthz), median of 7, release build")
        print("  empty outbox:   %.0f ms  (/healthz %.0f ms)" % (empty_start * 1000, empty_health * 1000))
        print("  %d queued: %.0f ms  (/healthz %.0f ms; %s; filled in %.0f s)" % (args.queued, full_start * 1000, full_health * 1000, detail.split(",")[0], filled))
        result("cold start to ready", "%.0f ms" % (empty_start * 1000), "—", None, "≤ 1 s", empty_start <= 1.0)
        result("cold start, %d queued" % args.queued, "%.0f ms" % (full_start * 1000), "empty %.0f ms" % (empty_start * 1000),
               full_start / empty_start, "≤ 1.20", full_start / empty_start <= 1.2)

        # Memory: idle, then a session scanning ten pages.
        process, _ = station.start(empty)
        wait_screen(station, ["attract"])
        time.sleep(10)
        idle = rss_kb(process.pid)
        peak = [idle]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_kb(process.pid))
                time.sleep(0.01)

        station.control("idcard_reader", "card", "put", "wang-jianguo")
        wait_screen(station, ["home"])
        screen = api(station, "/api/touch", {"type": "menu", "menu": "search", "value": "高龄"})
        api(station, "/api/touch", {"type": "choose", "code": screen["menu"][0]["code"]})
        api(station, "/api/touch", {"type": "next"})
        api(station, "/api/touch", {"type": "set_field", "id": "phone", "value": "13912345678"})
        api(station, "/api/touch", {"type": "set_field", "id": "bank_account", "value": "6222020200112233446"})
        screen = api(station, "/api/touch", {"type": "next"})
        material = screen["materials"][0]["id"]
        threading.Thread(target=sample, daemon=True).start()
        for _ in range(10):
            api(station, "/api/touch", {"type": "scan", "material": material})
            screen = wait_screen(station, ["materials"], 60)
        sampling.set()
        pages = next(m["pages"] for m in screen["materials"] if m["id"] == material)
        api(station, "/api/touch", {"type": "end"})
        Station.stop(process)
        print("kioskd's resident memory (VmRSS), release build")
        print("  idle, 10 s after ready:        %.1f MB" % (idle / 1024))
        print("  peak while scanning %d pages:  %.1f MB" % (pages, peak[0] / 1024))
        result("RSS idle", "%.1f MB" % (idle / 1024), "—", None, "≤ 40 MB", idle <= 40 * 1024)
        result("RSS during a %d-page scan (peak)" % pages, "%.1f MB" % (peak[0] / 1024), "idle %.1f MB" % (idle / 1024), peak[0] / idle, "≤ 120 MB", peak[0] <= 120 * 1024)
    finally:
        station.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
