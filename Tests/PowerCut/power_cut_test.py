#!/usr/bin/python3
"""Power cuts under kioskd: its state directory on lazyfs (a FUSE layer that
keeps only what was fsynced, and a name only once its folder was), power
cut at random moments, and after every restart what a resident was
promised must hold.

Each cycle mounts the disk, starts kioskd on it (a fresh state directory
the first time), and then one of:

- residents' visits through the local API (hardware-sim residents), the
  power cut a random moment after the first receipt of the cycle, or
  during a visit, an upload, a purge;
- a burst of enqueues (`kioskd churn`: enqueues as fast as it can while it
  forwards and purges, so SQLite checkpoints its WAL), cut at a random moment.

The power cut kills kioskd (SIGKILL) and unmounts the layer, which drops
everything that was not durable. Then, at the next start and at the end:

- every application whose receipt printed (or whose enqueue returned, for
  churn) is in the outbox, not flagged for missing pages, and not refused;
- kioskd did not find its outbox behind the numbers it issued (went_back);
- after the last cycle the queue drains and the platform has each of them
  exactly once (it checks every page against its hash and its seal), and
  no tracking number twice; `kioskctl audit verify` passes.

    /usr/bin/python3 Tests/PowerCut/power_cut_test.py --cycles 10 [--seed 1]

Needs root (FUSE) and Debian's python3-fusepy; debug binaries from
`swift build`. Exits 1 with what failed.
"""
import argparse, glob, json, os, random, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts"))
from simstation import ROOT, Station  # noqa: E402

BIN = os.path.join(ROOT, ".build/debug")
TRACKING = re.compile(r"\d{6,12}-\d{8}-\d{4,5}-[0-9X]")


class Disk:
    """The kiosk's disk: WORK as lazyfs shows it at a mount point, until the power goes."""

    def __init__(self, base):
        self.work = os.path.join(base, "disk")
        os.makedirs(self.work)
        self.mountpoint = os.path.join(base, "mnt")
        os.makedirs(self.mountpoint)
        self.process = None

    def mount(self):
        self.log = open(os.path.join(os.path.dirname(self.work), "lazyfs.log"), "a")
        self.process = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "lazyfs.py"), self.work, self.mountpoint],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.ismount(self.mountpoint):
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit("lazyfs did not mount (see %s)" % self.log.name)
            time.sleep(0.05)

    def cut(self):
        """Unmount: lazyfs drops what was not durable and leaves WORK as the disk would be."""
        for _ in range(50):
            if subprocess.run(["umount", self.mountpoint], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)  # kioskd's files are still being closed
        else:
            subprocess.run(["umount", "-l", self.mountpoint])
        self.process.wait(120)
        self.log.close()


def cases(env, state):
    """kioskctl queue --json of the state directory: every application the outbox holds, by tracking number.
    A read that fails (a busy machine, kioskd still opening the database) is tried again; one that keeps
    failing is the harness's error, never a finding of lost applications."""
    for attempt in range(10):
        run = subprocess.run([os.path.join(BIN, "kioskctl"), "queue", "--state-dir", state, "--json", "--limit", "100000"],
                             capture_output=True, text=True, env=env)
        if run.returncode == 0 and run.stdout.strip():
            return json.loads(run.stdout), run.stderr
        time.sleep(1)
    raise SystemExit("power cut: kioskctl queue could not read the outbox: " + run.stderr.strip())


def acceptances(station):
    """How many times the platform accepted each tracking number; asked again if the answer does not come."""
    for attempt in range(10):
        answer = station.control("platform", "acceptances")
        if answer.startswith("ok: "):
            return json.loads(answer[len("ok: "):])
        time.sleep(1)
    raise SystemExit("power cut: the platform simulator does not answer acceptances: %r" % answer)


def outbox_status(listen):
    try:
        health = json.load(urllib.request.urlopen("http://%s/healthz" % listen, timeout=5))
    except (OSError, ValueError):
        return None, None
    outbox = next((c for c in health.get("components", []) if c["name"] == "outbox"), {})
    return outbox.get("status"), outbox.get("detail")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    base = tempfile.mkdtemp(prefix="kioskd-powercut-")
    station = Station(BIN, os.path.join(base, "station"), log=open(os.path.join(base, "station.log"), "w"))
    disk = Disk(base)
    state = os.path.join(disk.mountpoint, "state")
    env = dict(station.env, KIOSKD_ADMIN_SOCKET=os.path.join(base, "admin.sock"),
               # Payloads purged a moment after the platform has them, so cuts land in purges too.
               KIOSKD_OUTBOX_PURGE_AFTER_HOURS="0",
               KIOSKD_PLATFORM_RETRY_BASE_SECONDS="0.5", KIOSKD_PLATFORM_RETRY_CAP_SECONDS="3",
               KIOSKD_SESSION_IDLE_TIMEOUT_SECONDS="30", KIOSKD_SESSION_IDLE_WARNING_SECONDS="20")
    receipted = {}  # tracking number -> how it was promised ("receipt" or "churn"), cycle
    problems, kinds = [], {}
    log = open(os.path.join(base, "kioskd.log"), "a")

    def printed():
        numbers = set()
        for path in glob.glob(os.path.join(station.sim, "receipts/*.txt")):
            with open(path, encoding="utf-8", errors="replace") as f:
                numbers.update(n for n in TRACKING.findall(f.read()))
        return numbers

    def check(cycle):
        """What must hold after a restart: every promised application there, none flagged or refused, no went_back."""
        status, detail = outbox_status(station.listen)
        if status == "went_back":
            problems.append("cycle %d: kioskd found its outbox behind the numbers it issued: %s" % (cycle, detail))
        report, errors = cases(env, state)
        held = {w["trackingNumber"]: w for w in report.get("waiting", [])}
        if report.get("missingFiles"):
            problems.append("cycle %d: %d application(s) lost sealed pages" % (cycle, report["missingFiles"]))
        acknowledged = report.get("acknowledged", 0)
        known = set(held)
        # Acknowledged applications are not in `waiting`: ask the platform which it has.
        accepted = acceptances(station)
        for number, (how, when) in sorted(receipted.items()):
            if number not in known and number not in accepted:
                problems.append("cycle %d: %s (%s in cycle %d) is neither in the outbox nor at the platform" % (cycle, number, how, when))
            elif held.get(number, {}).get("state") == "dead_letter":
                problems.append("cycle %d: %s was refused: %s" % (cycle, number, held[number].get("lastError")))
        return acknowledged

    try:
        for cycle in range(args.cycles):
            disk.mount()
            churn = cycle % 3 == 2
            kind = "enqueue burst" if churn else ("first receipts on a fresh state directory" if cycle == 0 else "visits")
            if churn:
                # kioskd churn owns the state directory like kioskd run: enqueues, forwards and purges.
                process = subprocess.Popen([os.path.join(BIN, "kioskd"), "churn", "--state-dir", state, "--max-pages", "2", "--max-page-bytes", "60000"],
                                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
                lines = []
                reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
                reader.start()
                time.sleep(rng.uniform(1.5, 6))
                process.send_signal(signal.SIGKILL)
                process.wait()
                reader.join(5)
                for line in lines:
                    if line.startswith("enqueued "):
                        receipted.setdefault(line.split()[1], ("enqueue returned", cycle))
            else:
                process, _ = station.start_kioskd(state, env, log=log)
                if cycle > 0:
                    check(cycle)
                before = printed()
                residents = subprocess.Popen([os.path.join(BIN, "hardware-sim"), "residents", "--kiosk", "http://" + station.listen, "--simulators", station.sim,
                                              "--count", "6", "--seed", str(args.seed * 1000 + cycle), "--idle-timeout", "60"],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.time() + 90
                if cycle == 0 or rng.random() < 0.5:
                    # Right after a receipt: the application was durable a moment ago.
                    while not (printed() - before) and time.time() < deadline and residents.poll() is None:
                        time.sleep(0.02)
                    time.sleep(rng.uniform(0, 0.3))
                else:
                    time.sleep(rng.uniform(2, 25))
                for number in printed() - before:
                    receipted.setdefault(number, ("receipt printed", cycle))
                process.send_signal(signal.SIGKILL)
                process.wait()
                residents.kill()
                residents.wait()
            kinds[kind] = kinds.get(kind, 0) + 1
            disk.cut()
            print("power cut %d (%s): %d applications promised so far" % (cycle + 1, kind, len(receipted)), flush=True)

        # Power back for good: everything promised reaches the platform once.
        disk.mount()
        process, _ = station.start_kioskd(state, env, log=log)
        check(args.cycles)
        deadline = time.time() + 180
        while time.time() < deadline:
            report, _ = cases(env, state)
            if report.get("queued") == 0:
                break
            time.sleep(1)
        else:
            problems.append("the queue did not drain within 180 s: %s" % {k: report.get(k) for k in ("queued", "lastError")})
        accepted = acceptances(station)
        for number, (how, when) in sorted(receipted.items()):
            if accepted.get(number) != 1:
                problems.append("%s (%s in cycle %d) is on the platform %d times" % (number, how, when, accepted.get(number, 0)))
        twice = {n: c for n, c in accepted.items() if c != 1}
        if twice:
            problems.append("tracking numbers the platform holds more than once: %s" % twice)
        verify = subprocess.run([os.path.join(BIN, "kioskctl"), "audit", "verify", "--state-dir", state], capture_output=True, text=True, env=env)
        if verify.returncode != 0:
            problems.append("kioskctl audit verify: %s" % verify.stderr.strip())
        Station.stop_kioskd(process)
        disk.cut()
        print("power cuts: %d (%s); %d applications promised, %d on the platform, each once: %s; audit trail intact: %s" % (
            args.cycles, ", ".join("%s ×%d" % (k, v) for k, v in sorted(kinds.items())), len(receipted), len(accepted),
            "yes" if not twice and all(accepted.get(n) == 1 for n in receipted) else "NO", "yes" if verify.returncode == 0 else "NO"))
    finally:
        if disk.process and disk.process.poll() is None:
            subprocess.run(["umount", "-l", disk.mountpoint])
        station.close()
    if problems:
        for p in problems:
            print("power cut FAILED: " + p, file=sys.stderr)
        print("power cut: logs in " + base, file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(base, ignore_errors=True)
    print("power cut: passed")


if __name__ == "__main__":
    main()
