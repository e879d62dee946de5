#!/usr/bin/python3
"""A keyboard for a Wayland compositor, through the virtual-keyboard protocol
(zwp_virtual_keyboard_manager_v1), spoken on the wire without a library.

It sends evdev key codes with the US layout, so a nested compositor that reads
them with its own (default US) keymap, as cage does, sees the keys meant:
Ctrl+N arrives as Ctrl+N. (wtype numbers keys in the order it first types them
and sends its own keymap, which cage's Wayland backend ignores.)

    keyboard = Keyboard(socket_path)
    keyboard.press("ctrl", "n")
"""
import array, os, socket, struct, tempfile

# evdev key codes (linux/input-event-codes.h).
KEYS = {"esc": 1, "ctrl": 29, "shift": 42, "alt": 56, "tab": 15, "l": 38, "n": 49, "t": 20, "w": 17,
        "f1": 59, "f2": 60, "f4": 62, "f11": 87, "f12": 88, "a": 30, "i": 23}
# xkb modifier bits of the standard keymap: Shift 0, Control 2, Mod1 (Alt) 3.
MODIFIERS = {"shift": 1 << 0, "ctrl": 1 << 2, "alt": 1 << 3}
KEYMAP = b"""xkb_keymap {
  xkb_keycodes { include "evdev+aliases(qwerty)" };
  xkb_types { include "complete" };
  xkb_compat { include "complete" };
  xkb_symbols { include "pc+us+inet(evdev)" };
};
\0"""


class Keyboard:
    def __init__(self, path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.connect(path)
        self.buffer = b""
        self.next_id = 2  # 1 is wl_display
        registry = self.new_id()
        self.send(1, 1, struct.pack("<I", registry))  # wl_display.get_registry
        globals_ = {}
        for sender, opcode, body in self.roundtrip():
            if sender == registry and opcode == 0:  # wl_registry.global
                name, = struct.unpack_from("<I", body)
                interface, offset = self.string(body, 4)
                version, = struct.unpack_from("<I", body, offset)
                globals_[interface] = (name, version)
        for wanted in ("wl_seat", "zwp_virtual_keyboard_manager_v1"):
            if wanted not in globals_:
                raise SystemExit("keyboard: the compositor offers no " + wanted)
        seat = self.bind(registry, "wl_seat", *globals_["wl_seat"], limit=1)
        manager = self.bind(registry, "zwp_virtual_keyboard_manager_v1", *globals_["zwp_virtual_keyboard_manager_v1"], limit=1)
        self.keyboard = self.new_id()
        self.send(manager, 0, struct.pack("<II", seat, self.keyboard))  # create_virtual_keyboard
        with tempfile.TemporaryFile() as keymap:
            keymap.write(KEYMAP)
            keymap.flush()
            self.send(self.keyboard, 0, struct.pack("<II", 1, len(KEYMAP)), fd=keymap.fileno())  # keymap (xkb v1)
            self.roundtrip()
        self.time = 0

    def new_id(self):
        self.next_id += 1
        return self.next_id - 1

    def bind(self, registry, interface, name, version, limit):
        new = self.new_id()
        self.send(registry, 0, struct.pack("<I", name) + self.encode(interface) + struct.pack("<II", min(version, limit), new))
        return new

    @staticmethod
    def encode(text):
        data = text.encode() + b"\0"
        return struct.pack("<I", len(data)) + data + b"\0" * (-len(data) % 4)

    @staticmethod
    def string(body, offset):
        length, = struct.unpack_from("<I", body, offset)
        text = body[offset + 4:offset + 4 + length - 1].decode()
        return text, offset + 4 + length + (-length % 4)

    def send(self, target, opcode, body, fd=None):
        message = struct.pack("<II", target, (8 + len(body)) << 16 | opcode) + body
        if fd is None:
            self.socket.sendall(message)
        else:
            self.socket.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])

    def roundtrip(self):
        """Every event until the compositor has handled what was sent (wl_display.sync)."""
        callback = self.new_id()
        self.send(1, 0, struct.pack("<I", callback))
        events = []
        while True:
            while len(self.buffer) < 8 or len(self.buffer) < (struct.unpack_from("<I", self.buffer, 4)[0] >> 16):
                chunk = self.socket.recv(65536)
                if not chunk:
                    raise SystemExit("keyboard: the compositor closed the connection")
                self.buffer += chunk
            sender, header = struct.unpack_from("<II", self.buffer)
            size, opcode = header >> 16, header & 0xFFFF
            body, self.buffer = self.buffer[8:size], self.buffer[size:]
            if sender == 1 and opcode == 0:  # wl_display.error
                raise SystemExit("keyboard: protocol error %r" % (body,))
            if sender == callback:
                return events
            events.append((sender, opcode, body))

    def key(self, name, pressed):
        self.time += 10
        self.send(self.keyboard, 1, struct.pack("<III", self.time, KEYS[name], 1 if pressed else 0))

    def modifiers(self, mask):
        self.send(self.keyboard, 2, struct.pack("<IIII", mask, 0, 0, 0))

    def press(self, *names):
        """Holds the keys down in order and lets them go in reverse: press("ctrl", "n") is Ctrl+N."""
        mask = 0
        for name in names:
            self.key(name, True)
            mask |= MODIFIERS.get(name, 0)
            self.modifiers(mask)
        for name in reversed(names):
            self.key(name, False)
            mask &= ~MODIFIERS.get(name, 0)
            self.modifiers(mask)
        self.roundtrip()

    def close(self):
        self.socket.close()
