#!/usr/bin/python3
"""Which functions run when kioskd starts and waits, and which when a resident
visits: the link order (scripts/kioskd-code-order.txt) that puts them together
at the front of the binary (docs/operations.md, "Memory at rest").

    scripts/make-code-order.py PROFILE_BIN SIM_BIN OUT

PROFILE_BIN holds a kioskd built as the release is (the Swift runtime and
Foundation linked in) but with each of its own functions aligned to a 4 KB page
of its own (`make code-order` builds it); SIM_BIN holds hardware-sim. kioskd
runs beside `hardware-sim station` as in `make bench`: started, then 10 s with
nobody at the kiosk, then three residents' visits. The pages of kioskd's code
it then has resident are the code it ran, if nothing but kioskd brought them
in: so the page cache is dropped first and the disk's readahead set to 0 for
the run (and put back after), or the kernel would map the neighbours of every
page touched. Needs root for that. A touched page names the function on it;
the runtime's and Foundation's functions come compiled several to a page, so
their touched pages name them all.

OUT lists the functions, those of the start and the wait first, then those
only a visit adds; the linker (lld --symbol-ordering-file) lays them out in
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
    """Page (file offset) → the functions with code on it, from the symbol table.
    kioskd's own functions each start a page of their own in the profiling build;
    the static Swift runtime's and Foundation's come compiled, several to a page,
    and a touched page names all of its functions."""
    segments = []  # (vaddr, offset, size) of the executable segments
    for line in subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD" and "E" in fields[6:-1]:  # LOAD offset vaddr paddr filesz memsz flags… align
            segments.append((int(fields[2], 16), int(fields[1], 16), int(fields[4], 16)))
    pages = {}
    for line in subprocess.run(["nm", "--defined-only", "-S", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split(" ", 3)
        if len(fields) != 4 or fields[2] not in "tTwW":
            continue
        address, size = int(fields[0], 16), max(1, int(fields[1], 16))
        for vaddr, offset, length in segments:
            if vaddr <= address < vaddr + length:
                first = (offset + address - vaddr) // 4096 * 4096
                last = (offset + address - vaddr + size - 1) // 4096 * 4096
                for page in range(first, last + 1, 4096):
                    names = pages.setdefault(page, [])
                    if fields[3] not in names:
                        names.append(fields[3])
    return pages


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    profile_bin, sim_bin, out = sys.argv[1:]
    binary = os.path.realpath(os.path.join(profile_bin, "kioskd"))
    if os.geteuid() != 0:
        raise SystemExit("make-code-order: needs root, to drop the page cache and set the disk's readahead to 0 for the run")
    functions = functions_by_page(binary)
    print("%d pages of functions in %s" % (len(functions), binary))
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
        state = os.path.join(work, "state")
        process, _ = station.start_kioskd(state)
        time.sleep(10)
        idle = resident_pages(process.pid, binary)
        subprocess.run([os.path.join(binaries, "hardware-sim"), "residents", "--kiosk", "http://" + station.listen, "--simulators", station.sim,
                        "--screen-key", os.path.join(state, "screen-key"), "--count", "3", "--abandon-percent", "0", "--timeout-percent", "0", "--agent-percent", "0", "--incomplete-percent", "0"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        visiting = resident_pages(process.pid, binary)
    finally:
        if process:
            Station.stop_kioskd(process)
        with open(readahead, "w") as f:
            f.write(saved)
        station.close()
    first = list(dict.fromkeys(name for page in sorted(idle) for name in functions.get(page, [])))
    seen = set(first)
    then = list(dict.fromkeys(name for page in sorted(visiting - idle) for name in functions.get(page, []) if name not in seen))
    with open(out, "w") as f:
        f.write("\n".join(first + then) + "\n")
    print("%d functions ran starting and waiting, %d more in a visit: %s" % (len(first), len(then), out))


if __name__ == "__main__":
    main()
