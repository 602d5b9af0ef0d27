"""Guest side of UploadOutageLinuxIT: lists the checkpoint folder while S3 answers, waits for the host to make S3
refuse connections, then saves a checkpoint as training code does (a temporary name, fsync, os.replace) and appends
to a log, all through the kernel NFS client, and reads both back with O_DIRECT so the bytes come from the gateway."""
import hashlib, json, mmap, os, sys, time

work = sys.argv[1]
MNT = '/mnt/nfs/'


def mark(name, **values):
    tmp = os.path.join(work, name + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(values, f)
    os.rename(tmp, os.path.join(work, name))


def wait(name):
    deadline = time.time() + 180
    while not os.path.exists(os.path.join(work, name)):
        if time.time() > deadline:
            sys.exit('the host never wrote ' + name)
        time.sleep(0.05)


def md5_of(path):
    fd = os.open(MNT + path, os.O_RDONLY | os.O_DIRECT)
    try:
        size = os.fstat(fd).st_size
        buf = mmap.mmap(-1, max(4096, (size + 4095) // 4096 * 4096))
        got = 0
        while got < size:
            n = os.preadv(fd, [memoryview(buf)[got:size]], got)
            if n <= 0:
                sys.exit('short read of ' + path)
            got += n
        return hashlib.md5(buf[:size]).hexdigest()
    finally:
        os.close(fd)


os.listdir(MNT + 'ckpt')
mark('listed')
wait('refusing')

started = time.time()
checkpoint = os.urandom(24 << 20)
with open(MNT + 'ckpt/step-100.pt.tmp', 'wb') as f:
    f.write(checkpoint)
    f.flush()
    os.fsync(f.fileno())
os.replace(MNT + 'ckpt/step-100.pt.tmp', MNT + 'ckpt/step-100.pt')
log = b''.join(b'step %d loss %.3f\n' % (i, 1.0 / (i + 1)) for i in range(1000))
with open(MNT + 'ckpt/train.log', 'wb') as f:
    f.write(log)
    f.flush()
    os.fsync(f.fileno())
written = time.time() - started

expected = {'ckpt/step-100.pt': hashlib.md5(checkpoint).hexdigest(), 'ckpt/train.log': hashlib.md5(log).hexdigest()}
read_back = {path: md5_of(path) for path in expected}
if read_back != expected:
    sys.exit('read back %s, wrote %s' % (read_back, expected))
mark('written', seconds=written, md5s=expected, names=sorted(os.listdir(MNT + 'ckpt')))
