"""What the guest scripts share: marker files that hand phases over between the guest and the host through the
shared work folder, and O_DIRECT reads through the mount, so that the bytes come from the gateway and not from the
client's page cache. GuestScripts.writeScript ships this module beside every Python script, so `import guestlib`
finds it in the script's own folder."""
import hashlib, json, mmap, os, sys, time

MNT = '/mnt/nfs/'


class ShortRead(Exception):
    """A file gave fewer bytes than its size says: not an I/O error, so no `except OSError` takes it for one."""


def handover(work, timeout=180):
    """The marker functions for the shared folder `work`: mark(name, **values) writes marker `name` (a JSON object
    of `values`) atomically; wait(name) returns once the host wrote `name`, and exits after `timeout` seconds."""

    def mark(name, **values):
        tmp = os.path.join(work, name + '.tmp')
        with open(tmp, 'w') as f:
            json.dump(values, f)
        os.rename(tmp, os.path.join(work, name))

    def wait(name):
        deadline = time.time() + timeout
        while not os.path.exists(os.path.join(work, name)):
            if time.time() > deadline:
                sys.exit('the host never wrote ' + name)
            time.sleep(0.05)

    return mark, wait


def md5_of(path):
    """The MD5 of the file at `path` below the mount point, read with O_DIRECT into an aligned buffer."""
    fd = os.open(MNT + path, os.O_RDONLY | os.O_DIRECT)
    try:
        size = os.fstat(fd).st_size
        buf = mmap.mmap(-1, max(4096, (size + 4095) // 4096 * 4096))
        got = 0
        while got < size:
            n = os.preadv(fd, [memoryview(buf)[got:size]], got)
            if n <= 0:
                raise ShortRead('short read of ' + path)
            got += n
        return hashlib.md5(buf[:size]).hexdigest()
    finally:
        os.close(fd)
