#!/usr/bin/python3
"""A hostile neighbour's flood of the local API: IDLE connections that send
nothing and SLOW ones that send a request head a few bytes at a time and never
finish it. Each one the server closes is opened again (up to 500 a second), as an attacker
keeping them open would. Prints "flooding" once all are open; at SIGTERM,
prints what it saw as JSON.

    flood.py HOST:PORT IDLE SLOW
"""
import errno
import json
import resource
import selectors
import signal
import socket
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
idle, slow = int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if hard < idle + slow + 64:
    sys.exit("flood: this process may open %d files, fewer than the %d connections asked" % (hard, idle + slow))

HEAD = b"GET /api/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-Slow-%d: %s\r\n" % (i, b"x" * 20) for i in range(200))
stats = {"opened": 0, "closed_by_kioskd": 0, "refused": 0, "most_open_at_once": 0}
selector = selectors.DefaultSelector()
slots = {}  # socket -> (kind, bytes of HEAD sent)
stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)


def open_one(kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    code = s.connect_ex((host, int(port)))
    if code not in (0, errno.EINPROGRESS):
        stats["refused"] += 1
        s.close()
        return False
    slots[s] = [kind, 0]
    selector.register(s, selectors.EVENT_READ)
    stats["opened"] += 1
    return True


def fill(budget):
    wanted = {"idle": idle, "slow": slow}
    for kind, _ in slots.values():
        wanted[kind] -= 1
    for kind, missing in wanted.items():
        for _ in range(missing):
            if budget == 0 or not open_one(kind):
                return
            budget -= 1


last_drip = 0.0
while not stopping:
    # All at first; then what kioskd closed is reopened at up to 500 a second.
    if stats["opened"] == 0:
        fill(idle + slow)
        print("flooding", flush=True)
    else:
        fill(25)
    stats["most_open_at_once"] = max(stats["most_open_at_once"], len(slots))
    for key, _ in selector.select(timeout=0.2):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            stats["closed_by_kioskd"] += 1
            selector.unregister(s)
            del slots[s]
            s.close()
    now = time.monotonic()
    if now - last_drip >= 1.0:
        # The slow ones send the next few bytes of a head that never ends.
        last_drip = now
        for s, slot in list(slots.items()):
            if slot[0] == "slow" and slot[1] < len(HEAD):
                try:
                    slot[1] += s.send(HEAD[slot[1]:slot[1] + 8])
                except (BlockingIOError, ConnectionError, OSError):
                    pass
    time.sleep(0.05)

stats["open_at_end"] = len(slots)
print(json.dumps(stats))
