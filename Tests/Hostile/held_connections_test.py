#!/usr/bin/python3
"""Connections held open cannot lock anyone out or use up kioskd's descriptors.

- A process that read the screen's key opens 300 WebSockets with it and holds
  them; the screen's page (a new WebSocket with the key, as after a reload)
  must still connect and get the screen, and kioskd keeps no more of the key's
  connections than a browser needs (the oldest go, the newest stay).
- A process of the admin group opens 500 connections to the admin socket and
  sends nothing; `kioskctl status` must still answer, and kioskd keeps at most
  16 silent ones (the oldest go) and none past their deadline. Run by make test.

    Tests/Hostile/held_connections_test.py
"""
import base64, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station, screen_key  # noqa: E402

BIN = os.path.join(ROOT, ".build/debug")
HELD = 300


def fail(message):
    print("held connections FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def websocket(listen, key):
    """A WebSocket to /ws with the screen's key as its cookie, upgraded: the socket, and what came after the 101 head."""
    host, port = listen.rsplit(":", 1)
    conn = socket.create_connection((host, int(port)), timeout=10)
    nonce = base64.b64encode(os.urandom(16)).decode()
    conn.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                  "Sec-WebSocket-Version: 13\r\nCookie: kioskd_screen=%s\r\n\r\n" % (listen, nonce, key)).encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = conn.recv(4096)
        if not chunk:
            return conn, None, received
        received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    return conn, head, rest


def first_text_frame(conn, rest):
    """The first text frame's payload (the screen kioskd pushes first), or None if the connection closed."""
    data = rest
    while True:
        if len(data) >= 2:
            length, offset = data[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(data[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(data[2:10], "big"), 10
            if len(data) >= offset + length:
                return data[offset:offset + length] if data[0] & 0x0F == 1 else None
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            return None
        if not chunk:
            return None
        data += chunk


def alive(conn):
    """Whether kioskd still holds this connection open: what it sent (the screen) is read, then a closed
    one reads as EOF or a reset, an open one has nothing more."""
    conn.setblocking(False)
    try:
        while conn.recv(65536) != b"":
            pass
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        conn.setblocking(True)


def main():
    folder = tempfile.mkdtemp(prefix="kioskd-sockets-")
    station = Station(BIN, os.path.join(folder, "station"))
    state = os.path.join(folder, "state")
    kioskd, held = None, []
    try:
        admin = os.path.join(state, "admin.sock")
        kioskd, _ = station.start_kioskd(state, env=dict(station.env, KIOSKD_ADMIN_SOCKET=admin))
        key = screen_key(state)
        for _ in range(HELD):
            conn, head, _ = websocket(station.listen, key)
            if head is None or b" 101 " not in head.split(b"\r\n")[0]:
                break
            held.append(conn)
        conn, head, rest = websocket(station.listen, key)
        if head is None or b" 101 " not in head.split(b"\r\n")[0]:
            fail("after %d WebSockets with the key were opened, the screen's was refused: %r" % (len(held), head))
        screen = first_text_frame(conn, rest)
        if not screen or b'"screen":"attract"' not in screen:
            fail("the screen's WebSocket got no screen after %d others with the key: %r" % (len(held), screen))
        still = sum(alive(c) for c in held)
        if still > 16:
            fail("kioskd still holds %d of the %d WebSockets opened with the key: a browser needs a few" % (still, len(held)))
        for c in held:
            c.close()
        held = []

        # The admin socket: 500 connections that say nothing.
        descriptors = lambda: len(os.listdir("/proc/%d/fd" % kioskd.pid))
        before = descriptors()
        for _ in range(500):
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(admin)
            held.append(conn)
        started = time.monotonic()
        status = subprocess.run([os.path.join(BIN, "kioskctl"), "status", "--socket", admin], capture_output=True, text=True, timeout=30)
        if status.returncode != 0 or "station:" not in status.stdout:
            fail("kioskctl status did not answer while 500 idle connections were held: %s%s" % (status.stdout, status.stderr))
        answered = time.monotonic() - started
        during = descriptors()
        if during > before + 20:
            fail("kioskd held %d descriptors with 500 idle admin connections open (%d before)" % (during, before))
        # Past the request deadline (5 s) every silent connection is closed: kioskd's descriptors go back.
        deadline = time.monotonic() + 15
        while descriptors() > before + 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = descriptors()
        if after > before + 2:
            fail("kioskd still held %d descriptors 15 s after the idle admin connections were opened (%d before; their deadline is 5 s)" % (after, before))
        print("held connections: %d WebSockets held with the key, the screen's own connected and got its screen, kioskd kept %d of them; "
              "500 idle admin connections held, kioskctl status answered in %.1f s, kioskd's descriptors %d before, %d while held, %d after the deadline"
              % (HELD, still, answered, before, during, after))
    finally:
        for c in held:
            c.close()
        if kioskd:
            Station.stop_kioskd(kioskd)
        station.close()


if __name__ == "__main__":
    main()
