#!/usr/bin/python3
"""Checks that kioskd.service's system-call filter allows every call kioskd
makes: reads the unit's SystemCallFilter= lines, expands them as systemd does
(`systemd-analyze syscall-filter` lists the groups), and compares them with
the calls an `strace -f -o FILE` of kioskd recorded.

    scripts/unit-syscalls.py deploy/systemd/kioskd.service STRACE_FILE

Exits 1, naming them, if kioskd made a call the unit would refuse (with
EPERM, as SystemCallErrorNumber= says). Run by make test (Tests/Sandbox).
"""
import re
import subprocess
import sys


def groups():
    text = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], check=True, capture_output=True, text=True).stdout
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("@"):
            current = found.setdefault(line.split()[0], [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return found


def expand(names, table, seen=None):
    seen = set() if seen is None else seen
    calls = set()
    for name in names:
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                calls |= expand(table.get(name, []), table, seen)
        else:
            calls.add(name)
    return calls


def allowed(unit, table):
    calls = None
    for line in open(unit, encoding="utf-8"):
        match = re.match(r"\s*SystemCallFilter=(~?)(.*)", line)
        if not match:
            continue
        names = expand(match.group(2).split(), table)
        if match.group(1):
            calls = (calls or set()) - names
        else:
            calls = names if calls is None else calls | names
    return calls


def made(trace):
    calls = set()
    for line in open(trace, encoding="utf-8", errors="replace"):
        match = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
        if match and not line.split(None, 1)[1].startswith("+++") and not line.split(None, 1)[1].startswith("---"):
            calls.add(match.group(1))
    return calls


def main():
    unit, trace = sys.argv[1], sys.argv[2]
    table = groups()
    permitted = allowed(unit, table)
    if permitted is None:
        sys.exit("%s has no SystemCallFilter=" % unit)
    used = made(trace)
    refused = sorted(used - permitted - {"exit", "restart_syscall"})
    if refused:
        print("kioskd made system calls %s refuses: %s" % (unit, " ".join(refused)), file=sys.stderr)
        sys.exit(1)
    print("%d system calls kioskd made, all allowed by %s's filter (%d allowed)" % (len(used), unit, len(permitted)))


if __name__ == "__main__":
    main()
