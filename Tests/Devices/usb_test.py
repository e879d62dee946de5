#!/usr/bin/python3
"""kioskd's USB path, through libusb's real code, without a USB bus.

umockdev (Debian's, through gir1.2-umockdev-1.0) makes a testbed with two USB
devices, as libusb's own tests and libfprint's do: a GA 467 ID-card reader
(vendor interface, bulk endpoints) and a receipt printer (printer class,
bidirectional, bound to the kernel's usblp). kioskd and kioskctl run under
umockdev's preload library, so libusb enumerates the testbed's sysfs and its
usbfs ioctls (claim, submit, reap, discard, disconnect) come here. This file
plays the USB side of each device: an OUT transfer's bytes go to the device's
simulator (hardware-sim's reader on its pty, its printer on TCP), and an IN
transfer completes with what the simulator answered. The simulators keep
their own codecs, so the bytes on the wire are checked by the far end.

Shown:
  - `kioskctl devices --usb` lists both with the serial numbers their string
    descriptors carry (control transfers on endpoint 0);
  - `kioskctl idcard read` reads a card over USB; `kioskctl printer test`
    prints a receipt the printer simulator counts, `kioskctl printer status`
    reads the printer's status back; claiming the printer detaches usblp and
    releasing it gives it back;
  - kioskd with both devices on usb: ports: a resident's visit to a printed
    receipt; the reader unplugged shows as disconnected in `kioskctl
    devices`, plugged back it is ready and the next resident's card is read.

Needs umockdev (make test installs it). Run by make test.

    Tests/Devices/usb_test.py
"""
import errno, json, os, select, shutil, socket, struct, subprocess, sys, tempfile, threading, time, tty

import gi
gi.require_version("UMockdev", "1.0")
from gi.repository import GLib, UMockdev  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station, wait_until as wait  # noqa: E402

BIN = os.path.join(ROOT, ".build/debug")


def fail(message):
    print("usb test FAILED: " + message, file=sys.stderr)
    sys.exit(1)


# The usbdevfs ioctls (linux/usbdevice_fs.h), numbered as the kernel's _IOC macros number them.
def _ioc(direction, number, size):
    return (direction << 30) | (size << 16) | (ord("U") << 8) | number


URB_SIZE = 56  # struct usbdevfs_urb on a 64-bit kernel
SUBMITURB, DISCARDURB, REAPURB, REAPURBNDELAY = _ioc(2, 10, URB_SIZE), _ioc(0, 11, 0), _ioc(1, 12, 8), _ioc(1, 13, 8)
CLAIMINTERFACE, RELEASEINTERFACE = _ioc(2, 15, 4), _ioc(2, 16, 4)
GETDRIVER, IOCTL, DISCONNECT_CLAIM = _ioc(1, 8, 260), _ioc(3, 18, 16), _ioc(2, 27, 264)
GET_CAPABILITIES, CLEAR_HALT, RESET = _ioc(2, 26, 4), _ioc(2, 21, 4), _ioc(0, 20, 0)
CONNECT, DISCONNECT = _ioc(0, 23, 0), _ioc(0, 22, 0)
CAPABILITIES = 0x02 | 0x04 | 0x10  # bulk continuation, no packet size limit, reap after disconnect
URB_TYPE_CONTROL = 2


class Device:
    """One USB device of the testbed: its descriptors, strings and the simulator its bulk endpoints reach."""

    def __init__(self, port, bus_address, ids, serial, interface_class, driver):
        self.port, self.bus_address, self.ids, self.serial = port, bus_address, ids, serial
        self.interface_class, self.driver = interface_class, driver
        self.devnode = "/dev/bus/usb/001/%03d" % bus_address
        self.syspath = "/sys/devices/pci0000:00/0000:00:14.0/usb1/" + port
        self.strings = {1: "Kiosk Devices Co.", 2: "Station device", 3: serial}
        self.wire = None          # the simulator's end: a descriptor read and written without blocking
        self.plugged = False
        self.attached = False
        self.bound = driver       # the kernel driver on interface 0, while kioskd has not claimed it
        self.events = []

    def descriptors(self):
        vendor, product = (int(part, 16) for part in self.ids.split(":"))
        device = struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, vendor, product, 0x0100, 1, 2, 3, 1)
        klass, subclass, protocol = self.interface_class
        interface = struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 2, klass, subclass, protocol, 0)
        endpoints = struct.pack("<BBBBHB", 7, 5, 0x81, 2, 64, 0) + struct.pack("<BBBBHB", 7, 5, 0x02, 2, 64, 0)
        config = struct.pack("<BBHBBBBB", 9, 2, 9 + len(interface) + len(endpoints), 1, 1, 0, 0x80, 50)
        return (device + config + interface + endpoints).hex()

    def record(self):
        """The device and its interface as umockdev's record format has them."""
        vendor, product = self.ids.split(":")
        driver = "E: DRIVER=%s\n" % self.bound if self.bound else ""
        return ("P: %s\nN: bus/usb/001/%03d\nE: DEVNAME=%s\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n"
                "E: BUSNUM=001\nE: DEVNUM=%03d\nE: PRODUCT=%s/%s/100\n"
                "A: idVendor=%s\nA: idProduct=%s\nA: serial=%s\nA: busnum=1\nA: devnum=%d\nA: speed=12\nA: bConfigurationValue=1\n"
                "H: descriptors=%s\n\n"
                "P: %s/%s:1.0\nE: DEVTYPE=usb_interface\n%sE: SUBSYSTEM=usb\nA: bInterfaceClass=%02x\nA: bInterfaceNumber=00\n") % (
                    self.syspath.removeprefix("/sys"), self.bus_address, self.devnode, self.bus_address, vendor.lstrip("0"), product,
                    vendor, product, self.serial, self.bus_address, self.descriptors(),
                    self.syspath.removeprefix("/sys"), self.port, driver, self.interface_class[0])

    def string_descriptor(self, index):
        if index == 0:
            return bytes([4, 3, 0x09, 0x04])  # one language, US English
        text = self.strings.get(index, "").encode("utf-16-le")
        return bytes([2 + len(text), 3]) + text


class UsbFs(UMockdev.IoctlBase):
    """The kernel's usbfs for the testbed's devices: transfers end at the simulators."""

    def __init__(self, devices):
        super().__init__()
        self.devices = {device.devnode: device for device in devices}
        self.flying = {}      # devnode -> [(urb data, its buffer)] submitted, not yet complete
        self.done = {}        # devnode -> [urb data] complete, not yet reaped
        self.lock = threading.Lock()

    def do_handle_ioctl(self, client):
        device = self.devices.get(client.get_devnode())
        if device is None:
            return False
        with self.lock:
            if not device.plugged:
                # A gone device's usbfs descriptor: what completed before or at the unplug is still
                # reaped (the reap-after-disconnect capability), then every call says ENODEV.
                done = self.done.get(device.devnode)
                if client.get_request() in (REAPURB, REAPURBNDELAY) and done:
                    client.get_arg().resolve(0, 8).set_ptr(0, done.pop(0))
                    client.complete(0, 0)
                else:
                    client.complete(-1, errno.ENODEV)
                return True
            try:
                return self.answer(device, client, client.get_request(), client.get_arg())
            except GLib.Error:
                return True  # the process went away mid-call: nobody is left to answer

    def answer(self, device, client, request, arg):
        flying = self.flying.setdefault(device.devnode, [])
        done = self.done.setdefault(device.devnode, [])
        if request == GET_CAPABILITIES:
            arg.resolve(0, 4).update(0, list(struct.pack("<I", CAPABILITIES)))
        elif request == DISCONNECT_CLAIM:
            interface = struct.unpack_from("<I", bytes(arg.resolve(0, 264).retrieve()))[0]  # then flags, and the driver to leave bound
            if device.bound:
                device.events.append("detached " + device.bound)
                device.bound = None
            device.events.append("claimed %d" % interface)
        elif request == CLAIMINTERFACE:
            if device.bound:
                client.complete(-1, errno.EBUSY)
                return True
            device.events.append("claimed %d" % struct.unpack("<I", bytes(arg.resolve(0, 4).retrieve()))[0])
        elif request == RELEASEINTERFACE:
            device.events.append("released %d" % struct.unpack("<I", bytes(arg.resolve(0, 4).retrieve()))[0])
        elif request == IOCTL:
            _, code = struct.unpack_from("<ii", bytes(arg.resolve(0, 16).retrieve()))
            if code & 0xffffffff == CONNECT and device.driver:
                device.bound = device.driver
                device.events.append("reattached " + device.driver)
            elif code & 0xffffffff != DISCONNECT:
                client.complete(-1, errno.ENOTTY)
                return True
        elif request in (CLEAR_HALT, RESET):
            pass
        elif request == SUBMITURB:
            urb = arg.resolve(0, URB_SIZE)
            kind, endpoint = struct.unpack_from("<BB", bytes(urb.retrieve()))
            length = struct.unpack_from("<i", bytes(urb.retrieve()), 24)[0]
            buffer = urb.resolve(16, length) if length > 0 else None
            if kind == URB_TYPE_CONTROL:
                self.control(device, urb, buffer)
                done.append(urb)
            elif endpoint & 0x80:
                flying.append((urb, buffer))
            else:
                data = bytes(buffer.retrieve()) if buffer else b""
                self.send(device, data)
                urb.update(4, list(struct.pack("<i", 0)))
                urb.update(28, list(struct.pack("<i", len(data))))
                done.append(urb)
        elif request == DISCARDURB:
            address = struct.unpack("<Q", bytes(arg.retrieve()))[0]
            match = next((entry for entry in flying if entry[0].client_addr == address), None)
            if match is None:
                client.complete(-1, errno.EINVAL)
                return True
            flying.remove(match)
            match[0].update(4, list(struct.pack("<i", -errno.ENOENT)))
            match[0].update(28, list(struct.pack("<i", 0)))
            done.append(match[0])
        elif request in (REAPURB, REAPURBNDELAY):
            if not done:
                self.receive(device, flying, done)
            if not done:
                client.complete(-1, errno.EAGAIN)
                return True
            arg.resolve(0, 8).set_ptr(0, done.pop(0))
        else:
            return False  # umockdev answers ENOTTY
        client.complete(0, 0)
        return True

    def control(self, device, urb, buffer):
        """Endpoint 0: GET_DESCRIPTOR for strings (the serial number kioskd chooses a device by); nothing else is asked."""
        setup = bytes(buffer.retrieve()[:8])
        request_type, request, value, _, length = struct.unpack("<BBHHH", setup)
        if request_type == 0x80 and request == 6 and value >> 8 == 3:
            answer = device.string_descriptor(value & 0xff)[:length]
            buffer.update(8, list(answer))
            urb.update(4, list(struct.pack("<i", 0)))
            urb.update(28, list(struct.pack("<i", len(answer))))
        else:
            urb.update(4, list(struct.pack("<i", -errno.EPIPE)))  # a stall, as a device answers what it does not know

    def send(self, device, data):
        view = memoryview(data)
        while view:
            select.select([], [device.wire], [], 1)
            written = os.write(device.wire, view)
            view = view[written:]

    def receive(self, device, flying, done):
        """Completes the oldest IN transfer with what the simulator has said, if it has said anything."""
        if not flying or not select.select([device.wire], [], [], 0)[0]:
            return
        urb, buffer = flying.pop(0)
        try:
            data = os.read(device.wire, len(buffer.retrieve()))
        except BlockingIOError:
            data = b""
        if data:
            buffer.update(0, list(data))
        urb.update(4, list(struct.pack("<i", 0)))
        urb.update(28, list(struct.pack("<i", len(data))))
        done.append(urb)


class Testbed:
    def __init__(self, devices):
        self.bed = UMockdev.Testbed.new()
        self.usbfs = UsbFs(devices)
        self.loop = GLib.MainLoop()
        threading.Thread(target=self.loop.run, daemon=True).start()
        for device in devices:
            self.plug(device)

    def env(self, base):
        return dict(base, LD_PRELOAD="libumockdev-preload.so.0", UMOCKDEV_DIR=self.bed.get_root_dir())

    def plug(self, device):
        # The handler first, so whoever hears the add uevent can open the device. An unplugged
        # device's handler is still there (see unplug): a new one takes its place.
        if device.attached:
            self.bed.detach_ioctl(device.devnode)
        device.attached = self.bed.attach_ioctl(device.devnode, self.usbfs)
        if not device.attached:
            fail("umockdev did not attach the usbfs handler to " + device.devnode)
        with self.usbfs.lock:
            device.plugged, device.bound = True, device.driver
            self.usbfs.flying.pop(device.devnode, None)
            self.usbfs.done.pop(device.devnode, None)
        if not self.bed.add_from_string(device.record()):
            fail("umockdev did not take " + device.syspath)

    def unplug(self, device):
        with self.usbfs.lock:
            device.plugged = False
            # As the kernel does when a device goes: each transfer in flight ends with ESHUTDOWN (libusb's
            # "no device"), ready to be reaped. Left in flight, libusb would wait for it for ever: it
            # learns of the loss from the descriptor's POLLERR, which a testbed's descriptor never raises.
            done = self.usbfs.done.setdefault(device.devnode, [])
            for urb, _ in self.usbfs.flying.pop(device.devnode, []):
                urb.update(4, list(struct.pack("<i", -errno.ESHUTDOWN)))
                urb.update(28, list(struct.pack("<i", 0)))
                done.append(urb)
        # The interface first, as the kernel removes them: umockdev leaves a child's bus link otherwise.
        # No remove uevent: Debian 12's umockdev cannot send one for a device made from a record (its
        # libudev looks for the device in the real /sys and says "No such device"), so kioskd learns of
        # the loss as from the kernel, by its transfers ending.
        for path in (device.syspath + "/" + device.port + ":1.0", device.syspath):
            self.bed.remove_device(path)
        # The handler stays, answering ENODEV as the kernel does on a gone device's usbfs descriptor,
        # so a transfer in flight at the unplug ends with an error rather than waiting on nobody.


def open_wire(device, station, printer_port):
    if device.interface_class[0] == 0xFF:
        fd = os.open(os.path.join(station.sim, "idcard"), os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        return fd
    connection = socket.create_connection(("127.0.0.1", printer_port), timeout=5)
    connection.setblocking(False)
    device.socket = connection  # kept, so the descriptor stays open
    return connection.fileno()


def kioskctl(env, *words, timeout=60):
    return subprocess.run([os.path.join(BIN, "kioskctl"), *words], capture_output=True, text=True, timeout=timeout, env=env)


def receipts(station):
    """The printer simulator's count of complete receipts."""
    answer = station.control("receipt_printer", "receipts")  # "ok: 3 receipts, 3 complete"
    return int(answer.split(",")[1].split()[0])


def main():
    folder = tempfile.mkdtemp(prefix="kioskd-usb-")
    station = Station(BIN, os.path.join(folder, "station"))
    reader = Device("1-3", 4, "0400:c35a", "GA467-0042", (0xFF, 0, 0), None)
    printer = Device("1-4", 5, "0416:5011", "POS80-7731", (7, 1, 2), "usblp")
    printer_port = int(station.env["KIOSKD_DEVICES_RECEIPT_PRINTER_PORT"].rsplit(":", 1)[1])
    kioskd = None
    try:
        for device in (reader, printer):
            device.wire = open_wire(device, station, printer_port)
        bed = Testbed([reader, printer])
        env = bed.env(station.env)
        reader_port, printer_usb = "usb:%s?serial=%s" % (reader.ids, reader.serial), "usb:%s" % printer.ids

        listed = kioskctl(env, "devices", "--usb", "--json")
        for device in (reader, printer):
            if device.serial not in listed.stdout:
                fail("kioskctl devices --usb does not list %s with serial %s:\n%s" % (device.ids, device.serial, listed.stdout + listed.stderr))

        # kioskctl alone, kioskd stopped: a card read, a receipt printed, the printer's status read back.
        station.control("idcard_reader", "card", "put", "wang-jianguo")
        read = kioskctl(env, "idcard", "read", "--port", reader_port, "--json", "--timeout", "20")
        if read.returncode != 0 or json.loads(read.stdout or "{}").get("number") != "3401**********0519":
            fail("kioskctl idcard read over USB did not read wang-jianguo's card:\n" + read.stdout + read.stderr)
        station.control("idcard_reader", "card", "remove")
        before = receipts(station)
        printed = kioskctl(env, "printer", "test", "--port", printer_usb)
        if printed.returncode != 0:
            fail("kioskctl printer test over USB failed:\n" + printed.stdout + printed.stderr)
        wait("the test receipt at the printer simulator", lambda: receipts(station) > before, seconds=10)
        status = kioskctl(env, "printer", "status", "--port", printer_usb, "--json")
        if status.returncode != 0 or json.loads(status.stdout or "{}").get("state") != "online":
            fail("kioskctl printer status over USB did not read the printer online:\n" + status.stdout + status.stderr)
        if printer.events[:3] != ["detached usblp", "claimed 0", "released 0"] or "reattached usblp" not in printer.events:
            fail("claiming the printer did not detach usblp and give it back: %s" % printer.events)
        print("usb test: kioskctl read a card, printed a receipt and read the status over USB; usblp detached and reattached")

        # kioskd with both devices on USB: a visit, the reader unplugged and plugged back, another visit.
        state = os.path.join(folder, "state")
        run_env = dict(env, KIOSKD_DEVICES_IDCARD_READER_PORT=reader_port, KIOSKD_DEVICES_RECEIPT_PRINTER_PORT=printer_usb,
                       KIOSKD_ADMIN_SOCKET=os.path.join(state, "admin.sock"))
        kioskd_log = open(os.path.join(folder, "kioskd.log"), "w")
        kioskd, _ = station.start_kioskd(state, env=run_env, log=kioskd_log)

        def kioskd_seen():
            """What kioskctl and kioskd's log say, for a failure's message."""
            answer = kioskctl(run_env, "devices")
            alive = "running" if kioskd.poll() is None else "exited with %s" % kioskd.returncode
            with open(kioskd_log.name, errors="replace") as log:
                tail = "".join([line for line in log if "admin: devices" not in line][-25:])
            return "kioskctl devices (%d): %s%s\nkioskd %s; its log ends:\n%s" % (answer.returncode, answer.stdout, answer.stderr, alive, tail)

        def device_status(name):
            answer = kioskctl(run_env, "devices", "--json")
            devices = json.loads(answer.stdout) if answer.returncode == 0 else []
            return next((d.get("status") for d in devices if d.get("name") == name), None)

        def visit(seed):
            before = receipts(station)
            played = subprocess.run([os.path.join(BIN, "hardware-sim"), "residents", "--kiosk", "http://" + station.listen, "--simulators", station.sim,
                                     "--screen-key", os.path.join(state, "screen-key"), "--count", "1", "--seed", str(seed),
                                     "--abandon-percent", "0", "--timeout-percent", "0", "--agent-percent", "0", "--incomplete-percent", "0"],
                                    capture_output=True, text=True, timeout=300, env=station.env)
            if "submitted, receipt" not in played.stdout:
                fail("a visit with the devices on USB did not end in a receipt:\n" + played.stdout + played.stderr)
            wait("the visit's receipt at the printer simulator", lambda: receipts(station) > before, seconds=20)

        wait("kioskd's reader and printer ready on USB", lambda: device_status("idcard_reader") == "online" and device_status("receipt_printer") == "online",
             seconds=30, detail=kioskd_seen)
        visit(1)
        bed.unplug(reader)
        wait("the unplugged reader shown disconnected", lambda: device_status("idcard_reader") not in ("online", None), seconds=20,
             detail=kioskd_seen)
        shown = device_status("idcard_reader")
        bed.plug(reader)
        wait("the reader ready again once plugged back", lambda: device_status("idcard_reader") == "online", seconds=30,
             detail=kioskd_seen)
        visit(2)
        print("usb test passed: kioskd read cards and printed receipts over USB; the reader unplugged showed %s and was ready again plugged back" % shown)
    finally:
        if kioskd is not None:
            Station.stop_kioskd(kioskd)
        station.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
