#!/usr/bin/python3
"""A FUSE layer that forgets what a power cut forgets (as LazyFS does).

    lazyfs.py WORK MOUNTPOINT

mounts WORK at MOUNTPOINT and passes every operation through to WORK, while
keeping, in memory, what a disk would still hold after the power went:

- a file's data as of its last fsync or fdatasync (or as it was at mount);
- a folder's names (new files, renames, unlinks, new folders) as of its
  last fsync, POSIX's rule: a name is durable only once its folder is.

When it is unmounted (`umount MOUNTPOINT`, after whatever used it is
killed) it rewrites WORK to hold exactly that, and exits: the power cut.
Mounting WORK again starts from there. Everything in WORK at mount counts
as durable.

Only what kioskd's state directory needs is supported: files and folders,
no links. SQLite's shared-memory file is mapped through the kernel's page
cache; FUSE without writeback caching passes every write through at once.
"""
import errno, itertools, os, shutil, stat, sys, threading

from fusepy import FUSE, FuseOSError, Operations


class LazyFS(Operations):
    def __init__(self, work):
        self.work = os.path.realpath(work)
        self.guard = threading.Lock()
        self.ids = itertools.count(1)
        # The namespace now: each path's node (a node is a file or a folder, whatever its names).
        self.node = {}
        # What a power cut leaves: a file node's bytes, a folder node's {name: (node, is_folder, mode)}.
        self.data = {}
        self.names = {}
        self.fsyncs = self.dir_fsyncs = 0
        self._adopt("/")
        self.root = self.node["/"]

    def _full(self, path):
        return self.work + path

    def _adopt(self, path):
        """Takes what WORK holds under `path` as durable (at mount)."""
        full = self._full(path)
        ident = self.node[path] = next(self.ids)
        if os.path.isdir(full):
            listing = {}
            for name in sorted(os.listdir(full)):
                child = path.rstrip("/") + "/" + name
                self._adopt(child)
                listing[name] = (self.node[child], os.path.isdir(self._full(child)), stat.S_IMODE(os.lstat(self._full(child)).st_mode))
            self.names[ident] = listing
        else:
            with open(full, "rb") as f:
                self.data[ident] = f.read()

    # The namespace as it changes.

    def _new(self, path):
        with self.guard:
            self.node[path] = next(self.ids)

    def _forget(self, path):
        with self.guard:
            self.node.pop(path, None)

    def _move(self, old, new):
        with self.guard:
            moved = {p: n for p, n in self.node.items() if p == old or p.startswith(old + "/")}
            for p in [p for p in self.node if p == new or p.startswith(new + "/")]:
                del self.node[p]
            for p, n in moved.items():
                del self.node[p]
                self.node[new + p[len(old):]] = n

    # Durability.

    def fsync(self, path, datasync, fh):
        try:
            with open(self._full(path), "rb") as f:
                contents = f.read()
        except OSError:
            return 0  # unlinked while open: no durable name reaches it through this path
        with self.guard:
            self.fsyncs += 1
            if path in self.node:
                self.data[self.node[path]] = contents
        return 0

    def fsyncdir(self, path, datasync, fh):
        full = self._full(path)
        with self.guard:
            self.dir_fsyncs += 1
            listing = {}
            for name in os.listdir(full):
                child = path.rstrip("/") + "/" + name
                if child in self.node:
                    info = os.lstat(self._full(child))
                    listing[name] = (self.node[child], stat.S_ISDIR(info.st_mode), stat.S_IMODE(info.st_mode))
            self.names[self.node[path]] = listing
        return 0

    def cut(self):
        """Rewrites WORK as the disk would hold it after a power cut."""
        staging = self.work + ".cut"
        shutil.rmtree(staging, ignore_errors=True)
        os.mkdir(staging)

        def rebuild(folder, ident):
            for name, (child, is_folder, mode) in self.names.get(ident, {}).items():
                target = os.path.join(folder, name)
                if is_folder:
                    os.mkdir(target)
                    rebuild(target, child)
                else:
                    with open(target, "wb") as f:
                        f.write(self.data.get(child, b""))
                os.chmod(target, mode)

        rebuild(staging, self.root)
        os.chmod(staging, stat.S_IMODE(os.stat(self.work).st_mode))
        old = self.work + ".old"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(self.work, old)
        os.rename(staging, self.work)
        shutil.rmtree(old, ignore_errors=True)

    # Passing through.

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def getattr(self, path, fh=None):
        try:
            info = os.lstat(self._full(path))
        except OSError as error:
            raise FuseOSError(error.errno)
        return {key: getattr(info, key) for key in ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)
        self._new(path)

    def rmdir(self, path):
        os.rmdir(self._full(path))
        self._forget(path)

    def statfs(self, path):
        info = os.statvfs(self._full(path))
        return {key: getattr(info, key) for key in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}

    def unlink(self, path):
        os.unlink(self._full(path))
        self._forget(path)

    def rename(self, old, new):
        os.rename(self._full(old), self._full(new))
        self._move(old, new)

    def link(self, target, name):
        raise FuseOSError(errno.EPERM)

    def symlink(self, name, target):
        raise FuseOSError(errno.EPERM)

    def utimens(self, path, times=None):
        return os.utime(self._full(path), times)

    def open(self, path, flags):
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        existed = os.path.exists(self._full(path))
        # fusepy does not pass the caller's flags here: read and write, as SQLite opens its files.
        fd = os.open(self._full(path), os.O_RDWR | os.O_CREAT, mode)
        if not existed:
            self._new(path)
        return fd

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, buf, offset, fh):
        return os.pwrite(fh, buf, offset)

    def truncate(self, path, length, fh=None):
        if fh is None:
            os.truncate(self._full(path), length)
        else:
            os.ftruncate(fh, length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return os.close(fh)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    work, mountpoint = sys.argv[1], sys.argv[2]
    layer = LazyFS(work)
    # Foreground, threads on; the kernel's cache of names and attributes short, so what WORK holds is what is seen.
    FUSE(layer, mountpoint, foreground=True, nothreads=False, attr_timeout=0, entry_timeout=0, negative_timeout=0)
    layer.cut()
    print("lazyfs: power cut: %d file fsyncs and %d folder fsyncs were kept, nothing else" % (layer.fsyncs, layer.dir_fsyncs), flush=True)


if __name__ == "__main__":
    main()
