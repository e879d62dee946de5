#!/usr/bin/python3
"""Which of kioskd's functions run when it starts and waits, and which when a
resident visits: the link order (scripts/kioskd-code-order.txt) that puts them
together at the front of the binary (docs/operations.md, "Memory at rest").

    scripts/make-code-order.py PROFILE_BIN SIM_BIN OUT

PROFILE_BIN holds a kioskd built with every function aligned to its own 4 KB
page (`make code-order` builds it); SIM_BIN holds hardware-sim. kioskd runs
beside `hardware-sim station` as in `make bench`: started, then 10 s with
nobody at the kiosk, then three residents' visits. With one function per page,
the pages kioskd's code mapping has resident are the functions it ran, if
nothing but kioskd brought them in: so the page cache is dropped first and the
disk's readahead set to 0 for the run (and put back after), or the kernel
would map the neighbours of every page touched. Needs root for that.

OUT lists the functions, those of the start and the wait first, then those
only a visit uses; the linker (lld --symbol-ordering-file) lays them out in
that order and everything else after."""
import os, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import Station  # noqa: E402


def readahead_file(path):
    """/sys/block/DEV/queue/read_ahead_kb of the disk holding path."""
    device = os.stat(path).st_dev
    major, minor = os.major(device), os.minor(device)
    block = os.path.realpath("/sys/dev/block/%d:%d" % (major, minor))
    if os.path.exists(os.path.join(block, "partition")):
        block = os.path.dirname(block)
    return os.path.join(block, "queue", "read_ahead_kb")


def resident_pages(pid, binary):
    """File offsets of the pages of `binary`'s executable mapping resident in `pid`."""
    pages = set()
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/pagemap" % pid, "rb") as pagemap:
        for line in maps:
            fields = line.split()
            if len(fields) < 6 or "x" not in fields[1] or os.path.realpath(fields[5]) != binary:
                continue
            low, high = (int(x, 16) for x in fields[0].split("-"))
            offset = int(fields[2], 16)
            count = (high - low) // 4096
            pagemap.seek(low // 4096 * 8)
            for index, entry in enumerate(struct.unpack("%dQ" % count, pagemap.read(8 * count))):
                if entry >> 63:
                    pages.add(offset + index * 4096)
    return pages


def functions_by_page(binary):
    """Page (file offset) → the function starting there, from the symbol table."""
    segments = []  # (vaddr, offset, size) of the executable segments
    for line in subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD" and "E" in fields[6:-1]:  # LOAD offset vaddr paddr filesz memsz flags… align
            segments.append((int(fields[2], 16), int(fields[1], 16), int(fields[4], 16)))
    names = {}
    for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split(" ", 2)
        if len(fields) == 3 and fields[1] in "tTwW":
            address = int(fields[0], 16)
            for vaddr, offset, size in segments:
                if vaddr <= address < vaddr + size and address % 4096 == 0:
                    names.setdefault(offset + address - vaddr, fields[2])
    return names


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    profile_bin, sim_bin, out = sys.argv[1:]
    binary = os.path.realpath(os.path.join(profile_bin, "kioskd"))
    if os.geteuid() != 0:
        raise SystemExit("make-code-order: needs root, to drop the page cache and set the disk's readahead to 0 for the run")
    functions = functions_by_page(binary)
    print("%d functions, one per page, in %s" % (len(functions), binary))
    binaries = tempfile.mkdtemp(prefix="kioskd-order-bin-")
    os.symlink(binary, os.path.join(binaries, "kioskd"))
    os.symlink(os.path.realpath(os.path.join(sim_bin, "hardware-sim")), os.path.join(binaries, "hardware-sim"))
    work = tempfile.mkdtemp(prefix="kioskd-order-")
    station = Station(binaries, work)
    readahead = readahead_file(binary)
    saved = open(readahead).read().strip()
    process = None
    try:
        with open(readahead, "w") as f:
            f.write("0")
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1")
        process, _ = station.start_kioskd(os.path.join(work, "state"))
        time.sleep(10)
        idle = resident_pages(process.pid, binary)
        subprocess.run([os.path.join(binaries, "hardware-sim"), "residents", "--kiosk", "http://" + station.listen, "--simulators", station.sim,
                        "--count", "3", "--abandon-percent", "0", "--timeout-percent", "0", "--agent-percent", "0", "--incomplete-percent", "0"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        visiting = resident_pages(process.pid, binary)
    finally:
        if process:
            Station.stop_kioskd(process)
        with open(readahead, "w") as f:
            f.write(saved)
        station.close()
    first = [functions[page] for page in sorted(idle) if page in functions]
    then = [functions[page] for page in sorted(visiting - idle) if page in functions]
    with open(out, "w") as f:
        f.write("\n".join(first + then) + "\n")
    print("%d functions ran starting and waiting, %d more in a visit (of %d): %s" % (len(first), len(then), len(functions), out))


if __name__ == "__main__":
    main()
