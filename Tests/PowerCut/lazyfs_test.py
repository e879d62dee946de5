#!/usr/bin/python3
"""Self-test of lazyfs.py: a power cut keeps what was fsynced, and a name
only once its folder was; it drops everything else.

    /usr/bin/python3 Tests/PowerCut/lazyfs_test.py

Needs root (FUSE mounts) and Debian's python3-fusepy. Exits 1 with what
the layer got wrong."""
import os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


class Mounted:
    """WORK mounted through lazyfs at a fresh mount point until cut()."""

    def __init__(self, work):
        self.work, self.mountpoint = work, tempfile.mkdtemp(prefix="lazyfs-mnt-")
        self.process = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "lazyfs.py"), work, self.mountpoint],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 20
        while not os.path.ismount(self.mountpoint):
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit("lazyfs did not mount: %s" % (self.process.stdout.read() if self.process.poll() is not None else "timeout"))
            time.sleep(0.05)

    def path(self, *names):
        return os.path.join(self.mountpoint, *names)

    def cut(self):
        """The power goes: unmount, and lazyfs leaves WORK as the disk would hold it."""
        subprocess.run(["umount", self.mountpoint], check=True)
        output, _ = self.process.communicate(timeout=60)
        os.rmdir(self.mountpoint)
        if self.process.returncode != 0:
            raise SystemExit("lazyfs failed: %s" % output)
        return output


def write(path, data, sync=True):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    if sync:
        os.fsync(fd)
    os.close(fd)


def sync_folder(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    work = tempfile.mkdtemp(prefix="lazyfs-work-")
    with open(os.path.join(work, "at-mount"), "wb") as f:
        f.write(b"before")
    with open(os.path.join(work, "renamed-away"), "wb") as f:
        f.write(b"old name")
    with open(os.path.join(work, "unlinked"), "wb") as f:
        f.write(b"still here")
    m = Mounted(work)
    write(m.path("durable"), b"synced, folder synced")
    write(m.path("dataless"), b"never synced", sync=False)
    with open(m.path("at-mount"), "ab") as f:
        f.write(b" and after, unsynced")
    os.mkdir(m.path("folder"))
    write(m.path("folder", "inside"), b"synced in a synced folder")
    sync_folder(m.path("folder"))
    sync_folder(m.path())  # makes durable, dataless and folder durable names; what follows is not:
    os.rename(m.path("renamed-away"), m.path("new-name"))
    os.unlink(m.path("unlinked"))
    write(m.path("nameless"), b"synced, its folder not synced after")
    os.mkdir(m.path("lost-folder"))
    write(m.path("lost-folder", "inside"), b"synced in a folder whose own name is not durable")
    sync_folder(m.path("lost-folder"))
    # A synced rename keeps its new name.
    write(m.path("temporary"), b"renamed into place")
    os.rename(m.path("temporary"), m.path("placed"))
    summary = m.cut()

    expected = {
        "durable": b"synced, folder synced",
        "dataless": b"",
        "at-mount": b"before",
        "renamed-away": b"old name",
        "unlinked": b"still here",
        "folder/inside": b"synced in a synced folder",
    }
    absent = ["nameless", "new-name", "lost-folder", "placed", "temporary"]
    problems = []
    for name, data in expected.items():
        path = os.path.join(work, name)
        if not os.path.exists(path):
            problems.append("%s is gone" % name)
        elif read(path) != data:
            problems.append("%s holds %r, not %r" % (name, read(path), data))
    for name in absent:
        if os.path.exists(os.path.join(work, name)):
            problems.append("%s survived the cut" % name)

    # Mounted again: all of that is durable now, and a rename made durable by its folder's sync stays.
    m = Mounted(work)
    write(m.path("temporary"), b"renamed into place")
    os.rename(m.path("temporary"), m.path("placed"))
    sync_folder(m.path())
    m.cut()
    if read(os.path.join(work, "placed")) != b"renamed into place" or os.path.exists(os.path.join(work, "temporary")):
        problems.append("a rename whose folder was synced did not keep its new name")
    if problems:
        for p in problems:
            print("lazyfs FAILED: " + p, file=sys.stderr)
        sys.exit(1)
    print("lazyfs: a power cut kept what was synced and only that (%s)" % summary.strip())


if __name__ == "__main__":
    main()
