#!/usr/bin/python3
"""Stable device names, on a USB-serial ID-card reader that umockdev provides.

umockdev (Debian's, through gir1.2-umockdev-1.0) makes a testbed: a CH340
USB-serial bridge with a serial number, its interface and its /dev/ttyUSB0,
the tty emulated as a pseudo-terminal. hardware-sim's GA 467 reader answers
on the other end (bytes copied both ways), so:

  - `kioskctl devices --probe --port serial:/dev/ttyUSB0 --write-udev
    --write-config` finds the reader by what it answers, reads the bridge's
    ids and serial number from the testbed's sysfs, writes the udev rule and
    puts /dev/kioskd/idcard-reader in the configuration;
  - `udevadm test` on the testbed's ttyUSB0, with that rule and the package's
    rules installed in /run/udev/rules.d, shows the link
    /dev/kioskd/idcard-reader and kioskd's group on the node;
  - a bridge without a serial number (as most CH340s are) is named by the
    USB socket it is plugged into instead;
  - the screen's rule (deploy/udev/70-kioskd-screen-keyboards.rules) marks a
    USB keyboard LIBINPUT_IGNORE_DEVICE, so no key reaches cage, and leaves
    the touchscreen alone.

Needs root (udev's runtime rules folder). Run by make test.

    Tests/Devices/udev_test.py
"""
import grp, json, os, re, select, shutil, subprocess, sys, tempfile, threading, time, tty

if "umockdev" not in os.environ.get("LD_PRELOAD", ""):
    # The testbed lives in this process, under umockdev's preload library; children inherit it.
    os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable] + sys.argv)

import gi  # noqa: E402
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".build/debug")
USB = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2"
TTY = USB + "/1-2:1.0/ttyUSB0/tty/ttyUSB0"
RUNTIME_RULES = "/run/udev/rules.d"


def fail(message):
    print("udev test FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def bridge(serial_line):
    """The testbed's ttyUSB0 as a CH340 with (or without) a serial number."""
    attributes = "A: serial=%s\n" % serial_line if serial_line else ""
    return ("P: %s\nN: bus/usb/001/003\nE: DEVNAME=/dev/bus/usb/001/003\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n"
            "E: BUSNUM=001\nE: DEVNUM=003\nE: PRODUCT=1a86/7523/264\n"
            "A: idVendor=1a86\nA: idProduct=7523\n%sA: manufacturer=QinHeng Electronics\nA: product=USB Serial\nA: busnum=1\nA: devnum=3\n\n"
            "P: %s/1-2:1.0\nE: DEVTYPE=usb_interface\nE: DRIVER=ch341\nE: SUBSYSTEM=usb\nA: bInterfaceClass=ff\nA: bInterfaceNumber=00\n\n"
            "P: %s\nN: ttyUSB0\nE: DEVNAME=/dev/ttyUSB0\nE: SUBSYSTEM=tty\nE: MAJOR=188\nE: MINOR=0\nA: dev=188:0\n") % (
                USB.removeprefix("/sys"), attributes, USB.removeprefix("/sys"), TTY.removeprefix("/sys"))


def relay(a, b, stop):
    """Copies bytes both ways between two descriptors until stop is set."""
    while not stop.is_set():
        ready, _, _ = select.select([a, b], [], [], 0.1)
        for source in ready:
            try:
                data = os.read(source, 4096)
            except OSError:
                continue
            if data:
                os.write(b if source == a else a, data)


def without_preload():
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "UMOCKDEV_DIR")}


def probe_and_name(folder, serial_line):
    testbed = UMockdev.Testbed.new()
    if not testbed.add_from_string(bridge(serial_line)):
        fail("umockdev did not take the testbed")
    controller = testbed.get_dev_fd("/dev/ttyUSB0")
    if controller < 0:
        fail("umockdev gave no pty for /dev/ttyUSB0")
    tty.setraw(controller)
    link = os.path.join(folder, "reader")
    simulator = subprocess.Popen([os.path.join(BIN, "hardware-sim"), "idcard", "--port", "pty", "--link", link,
                                  "--cards", os.path.join(ROOT, "hardware-sim/cards")], env=without_preload(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(link + ".control"):
            if time.monotonic() > deadline:
                fail("hardware-sim idcard did not start")
            time.sleep(0.05)
        device_side = os.open(link, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(device_side)
        threading.Thread(target=relay, args=(controller, device_side, stop), daemon=True).start()

        rules = os.path.join(folder, "61-kioskd-station.rules")
        config = os.path.join(folder, "kioskd.yaml")
        shutil.copy(os.path.join(ROOT, "config/kioskd.example.yaml"), config)
        result = subprocess.run([os.path.join(BIN, "kioskctl"), "devices", "--probe", "--port", "serial:/dev/ttyUSB0", "--probe-timeout-ms", "500",
                                 "--write-udev", "--udev-rules", rules, "--write-config", "--config", config],
                                capture_output=True, text=True, timeout=60)
        if "GA 467 ID-card reader" not in result.stdout:
            fail("the probe did not find the reader on the testbed's ttyUSB0:\n" + result.stdout + result.stderr)
        if not os.path.exists(rules):
            fail("no udev rule written:\n" + result.stdout + result.stderr)
        rule = open(rules).read()
        expected = 'ATTRS{serial}=="%s"' % serial_line if serial_line else 'KERNELS=="1-2"'
        for part in ('ATTRS{idVendor}=="1a86"', 'ATTRS{idProduct}=="7523"', expected, 'SYMLINK+="kioskd/idcard-reader"'):
            if part not in rule:
                fail("the rule lacks %s:\n%s" % (part, rule))
        check = subprocess.run([os.path.join(BIN, "kioskctl"), "config", "check", "--json", config], capture_output=True, text=True, env=without_preload())
        ports = {d["name"]: d["port"] for d in json.loads(check.stdout)["devices"]}
        if ports["idcard_reader"] != "serial:/dev/kioskd/idcard-reader":
            fail("the configuration names the reader %s, not its stable link" % ports["idcard_reader"])

        # udev itself, with the package's rules and the station's, on the testbed's device.
        os.makedirs(RUNTIME_RULES, exist_ok=True)
        installed = [os.path.join(RUNTIME_RULES, name) for name in ("61-kioskd-station.rules", "99-kioskd.rules")]
        shutil.copy(rules, installed[0])
        shutil.copy(os.path.join(ROOT, "deploy/udev/99-kioskd.rules"), installed[1])
        try:
            seen = subprocess.run(["udevadm", "test", "--action=add", TTY], capture_output=True, text=True, timeout=60)
        finally:
            for path in installed:
                os.remove(path)
        links = next((line for line in seen.stdout.splitlines() if line.startswith("DEVLINKS=")), "")
        if "/dev/kioskd/idcard-reader" not in links:
            fail("udevadm test does not show /dev/kioskd/idcard-reader (%s):\n%s" % (links or "no DEVLINKS", seen.stdout[-2000:] + seen.stderr[-2000:]))
        # udev logs each assignment with the rule's file and line: the station's rule gives the node to kioskd's group.
        groups = re.findall(r"61-kioskd-station\.rules:\d+ GROUP (\d+)", seen.stdout + seen.stderr)
        if groups != [str(grp.getgrnam("kioskd").gr_gid)]:
            fail("udevadm test does not give the node to group kioskd (%s):\n%s" % (groups, seen.stderr[-2000:]))
        print("udev test: %s -> %s" % ("serial " + serial_line if serial_line else "no serial, USB socket 1-2", links))
    finally:
        stop.set()
        simulator.terminate()
        simulator.wait(10)
        testbed.remove_device(TTY)


INPUT = "/sys/devices/pci0000:00/0000:00:14.0/usb1/%s/%s:1.0/0003:%s.0001/input/input%d"


def input_device(port, ids, number, name, capabilities, properties):
    """An input device and its event node, with the capabilities udev's input_id reads to type it."""
    path = INPUT % (port, port, ids, number)
    attributes = "".join("A: capabilities/%s=%s\n" % item for item in capabilities.items())
    return path + "/event%d" % number, (
        "P: %s\nE: SUBSYSTEM=input\nE: PRODUCT=3/%s/111\nA: name=%s\n%sA: properties=%s\n\n"
        "P: %s/event%d\nN: input/event%d\nE: DEVNAME=/dev/input/event%d\nE: SUBSYSTEM=input\nE: MAJOR=13\nE: MINOR=%d\nA: dev=13:%d\n") % (
            path.removeprefix("/sys"), ids.lower().replace(":", "/"), name, attributes, properties,
            path.removeprefix("/sys"), number, number, number, 64 + number, 64 + number)


def keyboards_ignored():
    """The screen's rule: udev marks a USB keyboard for libinput (so cage) to ignore, and not the touchscreen."""
    testbed = UMockdev.Testbed.new()
    keyboard, keyboard_record = input_device("1-5", "413C:2113", 7, "Dell KB216 Wired Keyboard", {
        "ev": "120013", "key": "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe", "msc": "10", "led": "7"}, "0")
    touch, touch_record = input_device("1-6", "0EEF:0001", 8, "eGalax Inc. USB TouchController", {
        "ev": "b", "key": "400 0 0 0 0 0", "abs": "3"}, "2")
    if not (testbed.add_from_string(keyboard_record) and testbed.add_from_string(touch_record)):
        fail("umockdev did not take the input devices")
    os.makedirs(RUNTIME_RULES, exist_ok=True)
    installed = os.path.join(RUNTIME_RULES, "70-kioskd-screen-keyboards.rules")
    shutil.copy(os.path.join(ROOT, "deploy/udev/70-kioskd-screen-keyboards.rules"), installed)
    try:
        seen = {path: subprocess.run(["udevadm", "test", "--action=add", path], capture_output=True, text=True, timeout=60).stdout
                for path in (keyboard, touch)}
    finally:
        os.remove(installed)
    properties = {path: dict(line.split("=", 1) for line in out.splitlines() if re.match(r"^[A-Z_]+=", line)) for path, out in seen.items()}
    if properties[keyboard].get("ID_INPUT_KEYBOARD") != "1" or properties[keyboard].get("LIBINPUT_IGNORE_DEVICE") != "1":
        fail("udevadm test does not mark the keyboard for libinput to ignore: %s" % properties[keyboard])
    if properties[touch].get("ID_INPUT_TOUCHSCREEN") != "1" or "LIBINPUT_IGNORE_DEVICE" in properties[touch]:
        fail("udevadm test marks the touchscreen ignored, or does not see it as one: %s" % properties[touch])
    print("udev test: a USB keyboard LIBINPUT_IGNORE_DEVICE=1, the touchscreen kept")


def main():
    if os.geteuid() != 0:
        fail("needs root: it installs rules in " + RUNTIME_RULES + " for udevadm test")
    # The package's users and groups: the rules give the node to kioskd's.
    subprocess.run(["systemd-sysusers", os.path.join(ROOT, "deploy/sysusers.d/kioskd.conf")], check=True, capture_output=True, env=without_preload())
    folder = tempfile.mkdtemp(prefix="kioskd-udev-")
    try:
        probe_and_name(folder, "KIOSK-READER-01")
        second = os.path.join(folder, "no-serial")
        os.makedirs(second)
        probe_and_name(second, None)
        keyboards_ignored()
        print("udev test passed: the reader found by what it answers, named /dev/kioskd/idcard-reader by its serial number or its USB socket")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
