#!/usr/bin/env python3
"""Random reads through a file system, for checking an NFS server's bytes from inside a guest.

Opens every FILE under ROOT once (like a DataLoader worker keeps shards open), then does COUNT
reads with os.pread at pseudo-random (file, offset, length) drawn from SEED, and prints one
tab-separated line per read with the MD5 of the bytes that came back. The host regenerates the
expected bytes and compares (io.prefetchd.gateway.testing.RandomReadsVerifier).

About one read in ten starts near the end of the file and one in twenty exactly at it, so
short reads at EOF are checked too. Only the standard library is used (any python3 >= 3.6).

Output, one record per line, fields separated by TAB:
  header  <format-version> <seed> <count> <max-length> <files>
  size    <file> <st_size>
  read    <i> <file> <offset> <length> <bytes-returned> <md5-hex>
  error   <i> <file> <offset> <length> <errno-name> <message>   (i = -1: open failed, run stops)
  done    <reads> <errors>
Exit status: 0 if every read returned without an OS error, 1 otherwise, 2 on bad arguments.
"""
import argparse
import errno
import hashlib
import os
import random
import sys

FORMAT_VERSION = "1"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", default=os.environ.get("VM_NFS_MNT", "/mnt/nfs"),
                   help="directory the FILE names are relative to (default: $VM_NFS_MNT or /mnt/nfs)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--max-length", type=int, default=64 * 1024)
    p.add_argument("files", nargs="+", metavar="FILE")
    a = p.parse_args(argv)
    if a.count < 0 or a.max_length < 1:
        p.error("--count must be >= 0 and --max-length >= 1")

    out = sys.stdout
    rng = random.Random(a.seed)
    print("header", FORMAT_VERSION, a.seed, a.count, a.max_length, len(a.files), sep="\t", file=out)

    fds = {}
    sizes = {}
    for name in a.files:
        try:
            fd = os.open(os.path.join(a.root, name), os.O_RDONLY)
        except OSError as e:
            print("error", -1, name, 0, 0, errno.errorcode.get(e.errno, str(e.errno)), e.strerror,
                  sep="\t", file=out)
            print("done", 0, 1, sep="\t", file=out)
            return 1
        fds[name] = fd
        sizes[name] = os.fstat(fd).st_size
        print("size", name, sizes[name], sep="\t", file=out)
    out.flush()

    errors = 0
    for i in range(a.count):
        name = a.files[rng.randrange(len(a.files))]
        size = sizes[name]
        r = rng.random()
        if r < 0.05 or size == 0:
            offset = size                                   # exactly at EOF: expect 0 bytes
        elif r < 0.15:
            offset = max(0, size - rng.randint(1, 4096))    # straddles EOF: expect a short read
        else:
            offset = rng.randrange(size)
        length = rng.randint(1, a.max_length)
        try:
            data = os.pread(fds[name], length, offset)
        except OSError as e:
            errors += 1
            code = errno.errorcode.get(e.errno, str(e.errno))
            print("error", i, name, offset, length, code, e.strerror, sep="\t", file=out)
            continue
        print("read", i, name, offset, length, len(data), hashlib.md5(data).hexdigest(), sep="\t", file=out)
    print("done", a.count, errors, sep="\t", file=out)
    out.flush()
    for fd in fds.values():
        os.close(fd)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
