#!/usr/bin/env python3
"""Byte-range locks as a Linux NFS client sees them, for checking an NFS server from inside a guest.

Run in the vm-nfs-client guest with FILE (at least 300 bytes) and H5 (an HDF5 file holding a 1-D dataset "x")
on the mount, and SYNC, a directory shared with the host, where the host plays a second NFS client. The steps
(both sides wait for each other's marker files in SYNC):

  1. this process takes a read lock on bytes 0-99 with fcntl.lockf; a second process (fork) takes a shared lock
     on the same bytes, is refused an exclusive one (the file is open read-only), and F_GETLK shows it the first
     process's lock; in a third process flock(LOCK_SH) works and flock(LOCK_EX) is refused the same way.
     Marker guest-locked. The host now tests a write lock (denied by ours) and takes a read lock on 200-299.
  2. after host-locked: a second process asks F_GETLK for a write lock on 200-299, which only the server can
     answer (nothing local is in the way): the host's lock. Marker guest-saw-host.
  3. after host-unlocked: the same F_GETLK finds nothing. This process unlocks. Marker guest-unlocked.
  4. after host-done: h5py opens H5 with HDF5's default file locking (flock), and sums "x".
     Marker h5-open; the host checks the server holds the lock; after host-saw-h5 the file is closed.
  5. SQLite counts the rows of table t in DB, read-only (it takes fcntl read locks for that).

Output, one "key value" line per result; a lock is "read|write <start> <len>", no lock is "none", a refused
call is its errno name (EBADF, EAGAIN, ...). Only the standard library is used, and h5py for step 4.
"""
import argparse
import errno
import fcntl
import os
import struct
import sys
import time

FLOCK = "hhqqixxxx"   # struct flock on x86-64 Linux: 32 bytes


def wait_for(sync, name, timeout=240):
    path = os.path.join(sync, name)
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit("timed out waiting for " + name)
        time.sleep(0.1)


def mark(sync, name):
    with open(os.path.join(sync, name), "w"):
        pass


def attempt(call):
    try:
        call()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def getlk(path, start, length):
    """F_GETLK for a write lock on [start, start + length) from a fresh descriptor of this process."""
    fd = os.open(path, os.O_RDONLY)
    try:
        arg = struct.pack(FLOCK, fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        l_type, _, l_start, l_len, _ = struct.unpack(FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, arg))
    finally:
        os.close(fd)
    if l_type == fcntl.F_UNLCK:
        return "none"
    return "%s %d %d" % ("read" if l_type == fcntl.F_RDLCK else "write", l_start, l_len)


def in_child(fn):
    """Runs fn in a forked process (another lock-owner) and returns the lines it produced."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = fn()
        except BaseException as e:   # report, never fall through into the parent's code
            out = ["child_error %r" % (e,)]
        os.write(w, ("\n".join(out) + "\n").encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode().splitlines()


def second_owner(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return ["child_lockf_sh " + attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 100, 0)),
                "child_lockf_ex " + attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 0)),
                "child_getlk_local " + getlk(path, 0, 100)]
    finally:
        os.close(fd)


def flocks(path):
    # in a process of its own: closing any descriptor of a file drops all of a process's fcntl locks on it
    fd = os.open(path, os.O_RDONLY)
    try:
        return ["flock_sh " + attempt(lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)),
                "flock_ex " + attempt(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))]
    finally:
        os.close(fd)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", required=True)
    p.add_argument("--h5", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--sync", required=True)
    a = p.parse_args(argv)
    out = []

    fd = os.open(a.file, os.O_RDONLY)
    out.append("lockf_sh " + attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 100, 0)))
    out += in_child(lambda: second_owner(a.file))
    out += in_child(lambda: flocks(a.file))
    mark(a.sync, "guest-locked")

    wait_for(a.sync, "host-locked")
    out += in_child(lambda: ["getlk_host_locked " + getlk(a.file, 200, 100)])
    mark(a.sync, "guest-saw-host")

    wait_for(a.sync, "host-unlocked")
    out += in_child(lambda: ["getlk_host_unlocked " + getlk(a.file, 200, 100)])
    fcntl.lockf(fd, fcntl.LOCK_UN, 100, 0)
    os.close(fd)
    mark(a.sync, "guest-unlocked")

    wait_for(a.sync, "host-done")
    os.environ.pop("HDF5_USE_FILE_LOCKING", None)   # HDF5's default: lock files (flock), fail if that fails
    import h5py
    with h5py.File(a.h5, "r") as f:
        x = f["x"][:]
        out.append("h5_len %d" % len(x))
        out.append("h5_sum %d" % int(x.sum()))
        mark(a.sync, "h5-open")
        wait_for(a.sync, "host-saw-h5")

    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    try:
        out.append("sqlite_rows %d" % db.execute("select count(*) from t").fetchone()[0])
    except sqlite3.Error as e:
        out.append("sqlite_rows error %s" % e)
    db.close()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
