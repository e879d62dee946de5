"""A station of simulated devices with kioskd beside it, set up as
scripts/demo.sh sets them up, for the scripts that start and stop kioskd
themselves: the soak (scripts/soak.py) and the daemon benchmark
(Benchmarks/daemon_bench.py); and the screen key, for every script that
drives the local API (the browser test and benchmark too)."""
import json, os, random, signal, socket, subprocess, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_handed_out = set()


def free_port():
    """A loopback port nobody listens on now and handed to no one else by this process. It is below
    Linux's ephemeral range (32768–60999), where any connection's own end could take it before the
    station binds it, or while a simulator is away and comes back on it (the platform's refuse/accept)."""
    while True:
        port = random.randint(20000, 32767)
        if port in _handed_out:
            continue
        _handed_out.add(port)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def screen_key(state):
    """The key kioskd made at its last start under `state` (the local API asks it of everyone but the screen's
    browser, which opens /?key=…); from now on this process's urllib requests send it as a bearer token."""
    with open(os.path.join(state, "screen-key")) as f:
        key = f.read().strip()
    opener = urllib.request.build_opener()
    opener.addheaders = [("Authorization", "Bearer " + key)]
    urllib.request.install_opener(opener)
    return key


def wait_until(what, condition, seconds=20, poll=0.2, detail=lambda: ""):
    """condition()'s first true value, asked every `poll` s; after `seconds`, SystemExit naming `what` (and `detail()`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise SystemExit("timed out waiting for %s %s" % (what, detail()))


def rss_kb(pid, field="VmRSS"):
    """A process's resident memory in KB: all of it (VmRSS), or its own heap and stacks (RssAnon)."""
    with open("/proc/%d/status" % pid) as f:
        return int(next(line for line in f if line.startswith(field + ":")).split()[1])


class Station:
    """`hardware-sim station` under STATE/sim on free ports; `env` is what kioskd needs to use it."""

    def __init__(self, bin_dir, state, log=subprocess.DEVNULL):
        self.bin, self.state, self.sim = bin_dir, state, os.path.join(state, "sim")
        os.makedirs(os.path.join(state, "sane.d"), exist_ok=True)
        self.listen = "127.0.0.1:%d" % free_port()
        printer, scanner, platform = free_port(), "127.0.0.1:%d" % free_port(), "127.0.0.1:%d" % free_port()
        # SANE reaches the simulated eSCL scanner through sane-airscan.
        with open(os.path.join(state, "sane.d/dll.conf"), "w") as f:
            f.write("airscan\n")
        with open(os.path.join(state, "sane.d/airscan.conf"), "w") as f:
            f.write('[devices]\n"Kiosk Scanner" = http://%s/eSCL, eSCL\n[options]\ndiscovery = disable\n' % scanner)
        self.process = subprocess.Popen([os.path.join(bin_dir, "hardware-sim"), "station", "--dir", self.sim, "--printer-port", str(printer),
                                         "--scanner-listen", scanner, "--platform-listen", platform],
                                        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while not all(os.path.exists(os.path.join(self.sim, name))
                      for name in ("platform-public.pem", "idcard_reader.control", "receipt_printer.control", "scanner.control")):
            if time.time() > deadline or self.process.poll() is not None:
                raise SystemExit("hardware-sim station did not start")
            time.sleep(0.05)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSKD_")}
        self.env.update(KIOSKD_DEVICES_IDCARD_READER_PORT="serial:%s/idcard?baud=115200" % self.sim,
                        KIOSKD_DEVICES_RECEIPT_PRINTER_PORT="tcp:127.0.0.1:%d" % printer,
                        KIOSKD_DEVICES_SCANNER_SANE_CONFIG_DIR=os.path.join(state, "sane.d"),
                        KIOSKD_PLATFORM_URL="http://" + platform, KIOSKD_PLATFORM_PUBLIC_KEY=os.path.join(self.sim, "platform-public.pem"))

    def control(self, device, *words):
        """A command to a simulator's control socket; its answer."""
        return subprocess.run([os.path.join(self.bin, "hardware-sim"), "control", "--socket", os.path.join(self.sim, device + ".control"), *words],
                              capture_output=True, text=True, timeout=30).stdout.strip()

    def api(self, path, body=None, timeout=60, state_dir=None):
        """The local API as the screen uses it, with the key kioskd wrote at its last start (STATE/screen-key)."""
        with open(os.path.join(state_dir or self.state, "screen-key")) as f:
            key = f.read().strip()
        request = urllib.request.Request("http://%s%s" % (self.listen, path), data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
        return json.load(urllib.request.urlopen(request, timeout=timeout))

    def start_kioskd(self, state_dir, env=None, log=subprocess.DEVNULL):
        """Starts kioskd; returns it and the seconds from spawn to the touchscreen's screen answering (polled every 2 ms)."""
        # The key is new at each start: the old one must not be read for it.
        if os.path.exists(os.path.join(state_dir, "screen-key")):
            os.remove(os.path.join(state_dir, "screen-key"))
        started = time.perf_counter()
        process = subprocess.Popen([os.path.join(self.bin, "kioskd"), "run", "--state-dir", state_dir, "--listen", self.listen],
                                   cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                self.api("/api/screen", timeout=1, state_dir=state_dir)
                return process, time.perf_counter() - started
            except OSError:
                if process.poll() is not None or time.perf_counter() - started > 30:
                    raise SystemExit("kioskd did not start (state %s)" % state_dir)
                time.sleep(0.002)

    @staticmethod
    def stop_kioskd(process):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()

    def close(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
