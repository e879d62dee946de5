#!/usr/bin/python3
"""The kiosk shell run for real: kioskd-screen.service's cage and Chromium,
with the unit's commands and flags, as the unit's user, showing kioskd's page.

The machine has no display, so cage runs on a display wlroots makes without
one: sway on the headless backend (pixman renderer) holds a 1920×1080 output,
and cage runs inside it on wlroots' Wayland backend, rotated (-r) to the
portrait 1080×1920 a kiosk panel mounted upright shows. Nesting is what lets
keys reach cage as a keyboard's: cage 0.1.4 has no virtual-keyboard protocol
and this kernel no uinput, so Tests/Screen/keyboard.py types into sway, which
hands the keys to cage's window like a keyboard plugged into the kiosk.

It checks, against kioskd (debug build) and the station simulator:

  - the unit's ExecStartPre lines (wait for /healthz; write the start page
    with the screen key) and ExecStart (cage and Chromium with the unit's
    flags) run as kiosk-screen, with the unit's paths and port mapped to the
    test's; grim's screenshot of cage's output is the attract screen: it
    matches the same page rendered by headless Chromium at 1080×1920
    (the screenshot is saved as docs/screens/kiosk-shell.png with SCREENSHOT=1);
  - the key combinations that leave a kiosk and that the shell itself stops
    do nothing: Ctrl+N, Ctrl+L, F11, F12, Ctrl+Shift+I, Alt+Tab, Ctrl+Alt+F2,
    Alt+Esc (Ctrl+T, Ctrl+W, Ctrl+Shift+N and Alt+F4 Chromium acts on
    whatever it is told: on a station no keyboard reaches the screen, by the
    udev rule Tests/Devices/udev_test.py checks):
    Chromium and cage still run and the screen still shows the attract page;
  - killing Chromium ends cage (so systemd's Restart=always in the unit
    starts the shell again), and the shell started again shows the attract
    screen;
  - the time from starting kioskd to the attract screen painted on cage's
    output, against the shell started alone with kioskd already up
    (BOOT_BENCH=1 prints both as make bench's row, on the release build).

Needs root (to make the unit's users and run as kiosk-screen).

    Tests/Screen/cage_test.py [--bin DIR]
"""
import argparse, os, pwd, re, shlex, shutil, signal, subprocess, sys, tempfile, time, urllib.request

from PIL import Image, ImageChops
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simstation import Station, wait_until as wait  # noqa: E402
from keyboard import Keyboard  # noqa: E402

UNIT = os.path.join(ROOT, "deploy/systemd/kioskd-screen.service")
USER = "kiosk-screen"
POLICY = os.path.join(ROOT, "deploy/chromium/kioskd-screen.json")
INSTALLED_POLICY = "/etc/chromium/policies/managed/kioskd-screen.json"
# Pixels may differ by this much per channel (anti-aliasing, the caret) and still count as the same.
TOLERANCE = 48
# The card picture on the attract screen moves: some of the page's ink may differ.
SAME_SCREEN = 0.15
# Keys that must do nothing even from a keyboard let through to the screen. Chromium acts on
# Ctrl+T, Ctrl+W, Ctrl+Shift+N and Alt+F4 in kiosk mode whatever its flags and policies: on a
# station no keyboard reaches cage at all (deploy/udev/70-kioskd-screen-keyboards.rules, shown by
# Tests/Devices/udev_test.py); here the keys come through the nested compositor, past that rule.
SHELL_IGNORES = (("ctrl", "n"), ("ctrl", "l"), ("f11",), ("f12",), ("ctrl", "shift", "i"), ("alt", "tab"),
                 ("ctrl", "alt", "f2"), ("alt", "esc"))


def fail(message):
    print("cage test FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def unit_commands():
    """ExecStartPre lines, the ExecStart line (continuations joined) and Environment of the unit."""
    text = open(UNIT, encoding="utf-8").read().replace("\\\n", " ")
    pre = re.findall(r"^ExecStartPre=(.*)$", text, re.M)
    start = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
    environment = dict(word.split("=", 1) for line in re.findall(r"^Environment=(.*)$", text, re.M) for word in shlex.split(line))
    restart = re.search(r"^Restart=(.*)$", text, re.M).group(1)
    return pre, start, environment, restart


def differing(shot, page):
    """Of the pixels where either image is not near-white (the page's ink: text, bars, buttons),
    the fraction that differ by more than TOLERANCE: near 0 for the same screen (the moving card
    picture aside), near 1 for another mostly white page such as a browser's new tab."""
    if shot.size != page.size:
        return 1.0
    ink = lambda image: image.convert("L").point(lambda v: 255 if v < 235 else 0)
    either = ImageChops.lighter(ink(shot), ink(page))
    changed = ImageChops.difference(shot.convert("RGB"), page.convert("RGB")).convert("L").point(lambda v: 255 if v > TOLERANCE else 0)
    inked = either.histogram()[255]
    return ImageChops.multiply(changed, either).histogram()[255] / inked if inked else 1.0


class Shell:
    """sway (headless) with the keyboard, and cage + Chromium inside it, as kiosk-screen."""

    def __init__(self, folder, listen, key_file):
        self.folder, self.listen, self.key_file = folder, listen, key_file
        user = pwd.getpwnam(USER)
        self.uid, self.gid = user.pw_uid, user.pw_gid
        self.runtime = os.path.join(folder, "xdg")            # XDG_RUNTIME_DIR: the Wayland sockets
        self.screen_runtime = os.path.join(folder, "screen")  # the unit's RuntimeDirectory (/run/kioskd-screen) and HOME
        for path in (self.runtime, self.screen_runtime):
            os.makedirs(path, exist_ok=True)
            os.chown(path, self.uid, self.gid)
            os.chmod(path, 0o700)
        config = os.path.join(folder, "sway.conf")
        with open(config, "w") as f:
            f.write("output HEADLESS-1 mode 1920x1080\ndefault_border none\n")
        os.chmod(config, 0o644)
        self.log = open(os.path.join(folder, "shell.log"), "a")
        self.sway = self.spawn(["sway", "-c", config], WLR_BACKENDS="headless", WLR_RENDERER="pixman", WLR_LIBINPUT_NO_DEVICES="1")
        wait("sway's socket", lambda: self.sockets(), seconds=20)
        self.outer = self.sockets()[0]
        # Root may open the user's socket; sway sees a client like any other.
        self.keyboard = Keyboard(os.path.join(self.runtime, self.outer))
        self.cage = None

    def environment(self, **extra):
        env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": self.runtime, "HOME": self.screen_runtime, "LANG": "C.UTF-8"}
        env.update(extra)
        return env

    def spawn(self, command, **extra):
        def drop():
            os.setsid()
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)
        return subprocess.Popen(command, env=self.environment(**extra), stdout=self.log, stderr=subprocess.STDOUT,
                                cwd=self.screen_runtime, preexec_fn=drop)

    def sockets(self):
        return sorted(name for name in os.listdir(self.runtime) if re.fullmatch(r"wayland-\d+", name))

    def mapped(self, command):
        """A unit command as systemd runs it (%% is a %), with its paths and port mapped to the test's."""
        return (command.replace("%%", "%").replace("http://127.0.0.1:8080", "http://" + self.listen)
                .replace("/run/kioskd/screen-key", self.key_file)
                .replace("/run/kioskd-screen", self.screen_runtime))

    def start(self):
        pre, start, environment, _ = unit_commands()
        for line in pre:
            process = self.spawn(["/bin/sh", "-c", self.mapped(shlex.split(line)[2])])
            if process.wait(90) != 0:
                fail("the unit's ExecStartPre failed: " + line)
        words = shlex.split(self.mapped(start))
        if words[0] != "/usr/bin/cage":
            fail("ExecStart does not start cage: " + start)
        # Rotated to portrait inside the landscape host output.
        words.insert(1, "-r")
        env = {key: self.mapped(value) for key, value in environment.items()}
        env.update(WAYLAND_DISPLAY=self.outer, WLR_BACKENDS="wayland", WLR_RENDERER="pixman")
        before = set(self.sockets())
        self.cage = self.spawn(words, **env)
        wait("cage's socket", lambda: set(self.sockets()) - before, seconds=20)
        self.inner = sorted(set(self.sockets()) - before)[0]

    def screenshot(self, path):
        shot = subprocess.run(["grim", path], env=self.environment(WAYLAND_DISPLAY=self.inner), capture_output=True, text=True,
                              preexec_fn=lambda: (os.setgid(self.gid), os.setuid(self.uid)), cwd=self.screen_runtime)
        if shot.returncode != 0:
            raise OSError("grim: " + shot.stderr)
        return Image.open(path).convert("RGB")

    def chromium_pids(self):
        result = subprocess.run(["pgrep", "-u", str(self.uid), "-f", "/usr/lib/chromium/chromium"], capture_output=True, text=True)
        return [int(pid) for pid in result.stdout.split()]

    def stop(self):
        """Ends cage and everything of the user's but sway (as systemd stopping the unit would)."""
        if self.cage and self.cage.poll() is None:
            os.killpg(self.cage.pid, signal.SIGKILL)
            self.cage.wait(10)
        for pid in self.chromium_pids():
            os.kill(pid, signal.SIGKILL)
        # A killed compositor leaves its socket behind; the next one takes the same name.
        for stale in (self.inner, self.inner + ".lock"):
            if os.path.exists(os.path.join(self.runtime, stale)):
                os.remove(os.path.join(self.runtime, stale))

    def close(self):
        for process in (self.cage, self.sway):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-KILL", "-u", str(self.uid)], check=False)


def kiosk_browser_shot(url):
    """The page as the browser tests see it: headless Chromium, 1080×1920 CSS px."""
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1080,1920", "--hide-scrollbars", "--lang=zh-CN"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1080, "height": 1920, "deviceScaleFactor": 1, "mobile": False})
        driver.get(url)
        wait("the attract screen in headless Chromium",
             lambda: driver.execute_script("return document.getElementById('screen').dataset.screen") == "attract", seconds=20)
        time.sleep(1)
        path = tempfile.mktemp(suffix=".png")
        driver.save_screenshot(path)
        return Image.open(path).convert("RGB")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"), help="kioskd's build (the benchmark uses the release build)")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        fail("needs root: it makes the unit's users and runs the shell as kiosk-screen")
    subprocess.run(["systemd-sysusers", os.path.join(ROOT, "deploy/sysusers.d/kioskd.conf")], check=True)
    pre, start, environment, restart = unit_commands()
    if restart != "always":
        fail("kioskd-screen.service has Restart=%s: a killed browser would leave the screen dark" % restart)
    words = shlex.split(start)
    if "-s" in words[1:words.index("--")]:
        fail("cage runs with -s: Ctrl+Alt+Fn would switch to a text console")

    # cage and sway start Xwayland, which wants /tmp/.X11-unix as systemd-tmpfiles makes it at boot.
    os.makedirs("/tmp/.X11-unix", exist_ok=True)
    os.chown("/tmp/.X11-unix", 0, 0)
    os.chmod("/tmp/.X11-unix", 0o1777)

    os.makedirs(os.path.dirname(INSTALLED_POLICY), exist_ok=True)
    if os.path.exists(INSTALLED_POLICY):
        os.remove(INSTALLED_POLICY)  # left by a run that was killed: it would refuse chromedriver

    folder = tempfile.mkdtemp(prefix="kioskd-shell-")
    os.chmod(folder, 0o711)
    station = kioskd = shell = None
    passed = False
    try:
        station = Station(os.path.join(ROOT, ".build/debug"), os.path.join(folder, "station"))
        keys = os.path.join(folder, "keys")
        os.makedirs(keys)
        os.chmod(keys, 0o711)
        key_file = os.path.join(keys, "screen-key")
        env = dict(station.env, KIOSKD_HTTP_SCREEN_KEY_FILE=key_file, KIOSKD_HTTP_SCREEN_KEY_GROUP=USER)
        state = os.path.join(folder, "state")
        log = open(os.path.join(folder, "kioskd.log"), "a")
        base = "http://" + station.listen

        def start_kioskd():
            process = subprocess.Popen([os.path.join(arguments.bin, "kioskd"), "run", "--state-dir", state, "--listen", station.listen],
                                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

            def answers():
                if process.poll() is not None:
                    fail("kioskd exited %s (%s)" % (process.returncode, log.name))
                try:
                    return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
                except OSError:
                    return False
            wait("kioskd's /healthz", answers, seconds=60, poll=0.02)
            return process

        # The page as a browser renders it at the kiosk's size: what the shell must show.
        kioskd = start_kioskd()
        reference = kiosk_browser_shot(base + "/?key=" + open(key_file).read().strip())
        Station.stop_kioskd(kioskd)

        # The screen's browser policy, as the kioskd-screen package installs it (it would refuse chromedriver above).
        shutil.copy(POLICY, INSTALLED_POLICY)
        shell = Shell(folder, station.listen, key_file)
        shot = os.path.join(shell.screen_runtime, "shot.png")
        last = {}

        def shows_attract():
            try:
                last["image"] = shell.screenshot(shot)
            except OSError:
                return False
            last["differing"] = differing(last["image"], reference)
            return last["differing"] < SAME_SCREEN

        # Boot: kioskd started, the screen's unit waits for it and starts cage, the attract screen painted.
        booted = time.monotonic()
        kioskd = start_kioskd()
        shell.start()
        wait("the attract screen on cage's output", shows_attract, seconds=90,
             detail=lambda: "%.1f%% of the screen differs from the page" % (100 * last.get("differing", 1)))
        boot = time.monotonic() - booted
        print("cage test: attract screen painted %.2f s after kioskd started (%s)" % (boot, os.path.basename(arguments.bin.rstrip("/"))))
        if os.environ.get("SCREENSHOT"):
            os.makedirs(os.path.join(ROOT, "docs/screens"), exist_ok=True)
            last["image"].save(os.path.join(ROOT, "docs/screens/kiosk-shell.png"))

        escapes, notices = [], []
        for combination in SHELL_IGNORES:
            shell.keyboard.press(*combination)
            time.sleep(1.5)
            name = "+".join(combination)
            if shell.cage.poll() is not None:
                escapes.append("%s ended the shell (cage exited %s)" % (name, shell.cage.returncode))
            elif not shell.chromium_pids():
                escapes.append("%s ended Chromium" % name)
            elif not shows_attract():
                last["image"].save(os.path.join(folder, "after-%s.png" % name))
                # A notice over the page (the policy's "DevTools not allowed") goes with Esc, or a tap on its OK.
                shell.keyboard.press("esc")
                time.sleep(1)
                if shows_attract():
                    notices.append(name)
                    continue
                escapes.append("%s left the attract screen (%.0f%% of its ink differs)" % (name, 100 * last["differing"]))
            else:
                continue
            # Each combination is tried on a fresh shell.
            shell.stop()
            shell.start()
            wait("the attract screen again", shows_attract, seconds=90)

        # The browser killed: cage ends with it, and the unit (Restart=always) starts the shell again.
        browser = min(shell.chromium_pids())
        os.kill(browser, signal.SIGKILL)
        wait("cage to end with its browser", lambda: shell.cage.poll() is not None, seconds=20)
        shell.stop()
        restarted = time.monotonic()
        shell.start()
        wait("the attract screen after the restart", shows_attract, seconds=90,
             detail=lambda: "%.1f%% of the screen differs from the page" % (100 * last.get("differing", 1)))
        alone = time.monotonic() - restarted
        if os.environ.get("BOOT_BENCH"):
            # make bench's row (scripts/bench-table.py): the boot against the shell alone, kioskd already up.
            print("RESULT\tboot to the painted attract screen (kioskd, cage, Chromium)\t%.2f s\tthe shell alone, kioskd up %.2f s\t%.2f\t—\t—"
                  % (boot, alone, boot / alone))
        print("cage test: the shell came back after its browser was killed")
        if escapes:
            fail("keys that leave the kiosk: " + "; ".join(escapes) + (" (a notice that Esc dismissed after %s)" % ", ".join(notices) if notices else "")
                 + " (screenshots in %s)" % folder)
        print("cage test: %s left nothing" % ", ".join("+".join(c) for c in SHELL_IGNORES)
              + (" (a notice that Esc dismissed after %s)" % ", ".join(notices) if notices else ""))
        passed = True
        print("cage test passed: the unit's shell shows the attract screen, ignores the keys that leave a kiosk, and comes back after its browser is killed")
    finally:
        if os.path.exists(INSTALLED_POLICY):
            os.remove(INSTALLED_POLICY)
        if shell:
            shell.close()
        if kioskd:
            Station.stop_kioskd(kioskd)
        if station:
            station.close()
        if passed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print("cage test: its logs are in " + folder, file=sys.stderr)


if __name__ == "__main__":
    main()
