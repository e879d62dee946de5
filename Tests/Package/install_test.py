#!/usr/bin/python3
"""The Debian package installed, upgraded, removed and purged in a clean Debian 12 root.

A new root is made with mmdebstrap from Debian's packages; kioskd's package of
the previous build is installed there with apt, as a maintainer would. Then:

  - `kioskd check-config` passes on the installed configuration; the users,
    folders and modes are the package's;
  - kioskd, started as its unit says (ExecStart, User, groups, WorkingDirectory,
    Environment), answers /healthz, and residents (`hardware-sim residents`)
    finish visits while the platform refuses connections: their applications
    wait in the outbox;
  - the upgrade to this build keeps every one, keeps the maintainer's edit of
    the configuration, and the new kioskd forwards them all, each accepted once;
  - remove keeps /var/lib/kioskd; purge with an application still unsent says
    so and keeps it; KIOSKD_PURGE_UNSENT=yes purges it.

Needs root (chroot, mounts), the debs from scripts/make-deb.sh and the debug
build's hardware-sim. Run by make deb-test (docs/packaging.md).

    Tests/Package/install_test.py PREVIOUS.deb CURRENT.deb
"""
import json, os, re, shlex, shutil, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station, free_port, wait_until as wait  # noqa: E402

BIN = os.path.join(ROOT, ".build/debug")
UNIT = os.path.join(ROOT, "deploy/systemd/kioskd.service")


def fail(message):
    print("install test FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def step(message):
    print("install test: " + message, flush=True)


class Root:
    """A Debian 12 root at PATH, with /dev and /proc mounted while the test runs."""

    def __init__(self, path):
        self.path = path
        env = dict(os.environ, LC_ALL="C.UTF-8")
        subprocess.run(["mmdebstrap", "--variant=apt", "--mode=root", "--quiet", "bookworm", path], check=True, env=env)
        for source, target, options in (("/dev", "dev", ["--rbind"]), ("proc", "proc", ["-t", "proc"])):
            subprocess.run(["mount", *options, source, os.path.join(path, target)], check=True)
        subprocess.run(["mount", "--make-rslave", os.path.join(path, "dev")], check=True)

    def close(self):
        for target in ("proc", "dev"):
            subprocess.run(["umount", "-R", "-l", os.path.join(self.path, target)], check=False)

    def inside(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def run(self, *command, check=True, env=None):
        result = subprocess.run(["chroot", self.path, *command], capture_output=True, text=True,
                                env=dict({"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}, **(env or {})))
        if check and result.returncode != 0:
            fail("%s exited %d:\n%s%s" % (" ".join(command), result.returncode, result.stdout[-3000:], result.stderr[-3000:]))
        return result

    def apt(self, *words, check=True, env=None):
        return self.run("apt-get", "-y", "-q", "--no-install-recommends", *words, check=check, env=env)

    def queue(self):
        return json.loads(self.run("kioskctl", "queue", "summary", "--json", "--state-dir", "/var/lib/kioskd").stdout)

    def ids(self, kind, name):
        return int(self.run("getent", kind, name).stdout.split(":")[2])


def unit_service():
    """The [Service] keys of kioskd.service that start it: ExecStart, user, groups, folder, environment."""
    keys = {}
    environment = {}
    for line in open(UNIT, encoding="utf-8"):
        match = re.match(r"^(\w+)=(.*)$", line.strip())
        if not match:
            continue
        key, value = match.groups()
        if key == "Environment":
            environment.update(word.split("=", 1) for word in shlex.split(value))
        else:
            keys[key] = value
    return keys, environment


class Kioskd:
    """kioskd in the root, started by the unit's ExecStart as the unit's user, with the simulators' ports."""

    def __init__(self, root, station, listen, platform_url):
        self.root, self.listen = root, listen
        unit, environment = unit_service()
        runtime = root.inside("/run/kioskd")
        os.makedirs(runtime, exist_ok=True)
        os.chown(runtime, root.ids("passwd", unit["User"]), root.ids("group", unit["Group"]))
        os.chmod(runtime, 0o711)
        key_file = root.inside(environment["KIOSKD_HTTP_SCREEN_KEY_FILE"])
        if os.path.exists(key_file):
            os.remove(key_file)
        environment.update(KIOSKD_HTTP_LISTEN=listen, KIOSKD_PLATFORM_URL=platform_url,
                           KIOSKD_DEVICES_IDCARD_READER_PORT=station.env["KIOSKD_DEVICES_IDCARD_READER_PORT"].replace(root.path, ""),
                           KIOSKD_DEVICES_RECEIPT_PRINTER_PORT=station.env["KIOSKD_DEVICES_RECEIPT_PRINTER_PORT"],
                           KIOSKD_DEVICES_SCANNER_PORT="sane:airscan:e0:Kiosk Scanner",
                           KIOSKD_DEVICES_SCANNER_SANE_CONFIG_DIR=station.env["KIOSKD_DEVICES_SCANNER_SANE_CONFIG_DIR"].replace(root.path, ""),
                           KIOSKD_DEVICES_A4_PRINTER_PORT="none")
        command = ["chroot", "--userspec=%s:%s" % (unit["User"], unit["Group"]), "--groups=" + ",".join(unit["SupplementaryGroups"].split()),
                   root.path, "/usr/bin/env", "-i", "-C", unit["WorkingDirectory"], "PATH=/usr/bin:/bin",
                   *("%s=%s" % item for item in environment.items()), *shlex.split(unit["ExecStart"])]
        self.log = open(os.path.join(os.path.dirname(root.path), "kioskd.log"), "a")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        wait("kioskd in the root to answer /healthz", self.healthy, seconds=60, detail=self.tail)
        status = open("/proc/%d/status" % self.child()).read()
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        if uid != root.ids("passwd", unit["User"]):
            fail("kioskd runs as uid %d, not as %s" % (uid, unit["User"]))

    def child(self):
        """kioskd's own pid (chroot and env exec into it, so it is the process started)."""
        return self.process.pid

    def healthy(self):
        if self.process.poll() is not None:
            fail("kioskd in the root exited %s:\n%s" % (self.process.returncode, self.tail()))
        try:
            return urllib.request.urlopen("http://%s/healthz" % self.listen, timeout=2).status == 200
        except OSError:
            return False

    def tail(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-3000:]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("kioskd did not stop within 30 s of SIGTERM")


def residents(station, root, listen, count, seed):
    result = subprocess.run([os.path.join(BIN, "hardware-sim"), "residents", "--kiosk", "http://" + listen, "--simulators", station.sim,
                             "--screen-key", root.inside("/run/kioskd/screen-key"), "--count", str(count), "--seed", str(seed),
                             "--abandon-percent", "0", "--timeout-percent", "0", "--agent-percent", "0", "--incomplete-percent", "0"],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        fail("residents did not finish their visits:\n" + result.stdout[-3000:] + result.stderr[-3000:])


def main():
    if len(sys.argv) != 3:
        fail("usage: install_test.py PREVIOUS.deb CURRENT.deb")
    if os.geteuid() != 0:
        fail("needs root (mmdebstrap, chroot and mounts)")
    previous, current = (os.path.abspath(path) for path in sys.argv[1:])
    folder = tempfile.mkdtemp(prefix="kioskd-install-")
    root = station = kioskd = None
    try:
        started = time.monotonic()
        step("a clean Debian 12 root (mmdebstrap)")
        root = Root(os.path.join(folder, "root"))
        for deb in (previous, current):
            shutil.copy(deb, root.inside("/tmp"))
        root.apt("update")

        step("install " + os.path.basename(previous))
        root.apt("install", "/tmp/" + os.path.basename(previous))
        for user in ("kioskd", "kiosk-screen"):
            root.run("getent", "passwd", user)
        root.run("getent", "group", "kiosk-admin")
        state = os.stat(root.inside("/var/lib/kioskd"))
        if (state.st_mode & 0o777, state.st_uid) != (0o700, root.ids("passwd", "kioskd")):
            fail("/var/lib/kioskd is %o owned by %d, not 0700 kioskd" % (state.st_mode & 0o777, state.st_uid))
        config = os.stat(root.inside("/etc/kioskd/kioskd.yaml"))
        if (config.st_mode & 0o777, config.st_gid) != (0o640, root.ids("group", "kioskd")):
            fail("/etc/kioskd/kioskd.yaml is %o group %d, not 0640 group kioskd" % (config.st_mode & 0o777, config.st_gid))
        root.run("kioskd", "check-config", "/etc/kioskd/kioskd.yaml")
        for path in ("/lib/systemd/system/kioskd.service", "/lib/udev/rules.d/99-kioskd.rules", "/usr/share/kioskd/ui/index.html"):
            if not os.path.exists(root.inside(path)):
                fail(path + " is not installed")

        # The simulated station's devices: their folder inside the root, so the reader's pty link
        # and SANE's configuration are where kioskd (chrooted) looks; the platform's key where the
        # package's configuration says.
        station = Station(BIN, root.inside("/srv/station"))
        pty = os.path.realpath(os.path.join(station.sim, "idcard"))
        os.chmod(pty, 0o666)
        shutil.copy(os.path.join(station.sim, "platform-public.pem"), root.inside("/etc/kioskd/platform-public.pem"))
        os.chown(root.inside("/etc/kioskd/platform-public.pem"), 0, root.ids("group", "kioskd"))
        os.chmod(root.inside("/etc/kioskd/platform-public.pem"), 0o640)
        platform = station.env["KIOSKD_PLATFORM_URL"]
        listen = "127.0.0.1:%d" % free_port()

        step("kioskd as its unit starts it; two residents apply while the platform refuses connections")
        station.control("platform", "refuse")
        kioskd = Kioskd(root, station, listen, platform)
        residents(station, root, listen, count=2, seed=11)
        wait("two applications queued", lambda: root.queue()["queued"] == 2, seconds=30, detail=lambda: str(root.queue()))
        kioskd.stop()
        kioskd = None

        step("upgrade to " + os.path.basename(current))
        with open(root.inside("/etc/kioskd/kioskd.yaml"), "a") as f:
            f.write("# edited by the station's maintainer\n")
        root.apt("install", "-o", "Dpkg::Options::=--force-confold", "/tmp/" + os.path.basename(current))
        if "# edited by the station's maintainer" not in open(root.inside("/etc/kioskd/kioskd.yaml")).read():
            fail("the upgrade replaced the maintainer's configuration")
        if root.queue()["queued"] != 2:
            fail("after the upgrade the outbox holds %s" % root.queue())

        step("the upgraded kioskd forwards them once the platform answers")
        station.control("platform", "accept")
        kioskd = Kioskd(root, station, listen, platform)
        wait("both applications acknowledged", lambda: root.queue()["acknowledged"] == 2 and root.queue()["queued"] == 0,
             seconds=60, detail=lambda: str(root.queue()))
        accepted = json.loads(station.control("platform", "acceptances").removeprefix("ok: "))
        if len(accepted) != 2 or set(accepted.values()) != {1}:
            fail("the platform accepted %s, not two applications once each" % accepted)

        step("a third application waits; remove keeps it, purge refuses, a forced purge deletes")
        station.control("platform", "refuse")
        residents(station, root, listen, count=1, seed=12)
        wait("one application queued", lambda: root.queue()["queued"] == 1, seconds=30, detail=lambda: str(root.queue()))
        kioskd.stop()
        kioskd = None
        root.apt("remove", "kioskd")
        if os.path.exists(root.inside("/usr/bin/kioskd")):
            fail("remove left /usr/bin/kioskd")
        if not os.path.isdir(root.inside("/var/lib/kioskd/outbox")):
            fail("remove deleted /var/lib/kioskd")
        refused = root.apt("purge", "kioskd", check=False)
        if refused.returncode == 0 or "KIOSKD_PURGE_UNSENT" not in refused.stdout + refused.stderr:
            fail("purge with an unsent application did not refuse with a way out:\n" + refused.stdout[-2000:] + refused.stderr[-2000:])
        if not os.path.isdir(root.inside("/var/lib/kioskd/outbox")):
            fail("the refused purge deleted /var/lib/kioskd")
        root.apt("purge", "kioskd", env={"KIOSKD_PURGE_UNSENT": "yes"})
        for path in ("/var/lib/kioskd", "/etc/kioskd"):
            if os.path.exists(root.inside(path)):
                fail("purge left " + path)
        print("install test passed in %.0f s: installed, 2 applications kept across the upgrade and forwarded once each, "
              "removed with the state kept, purge refused with 1 unsent, forced purge clean" % (time.monotonic() - started))
    finally:
        if kioskd:
            kioskd.process.kill()
        if station:
            station.close()
        if root:
            root.close()
            # Never delete through a mount: the root's /dev is the machine's.
            if any(os.path.ismount(root.inside(target)) for target in ("dev", "proc")):
                print("install test: %s is still mounted; left in place" % root.path, file=sys.stderr)
                return
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
