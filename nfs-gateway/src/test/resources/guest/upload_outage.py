"""Guest side of UploadOutageLinuxIT: lists the checkpoint folder while S3 answers, waits for the host to make S3
refuse connections, then saves a checkpoint as training code does (a temporary name, fsync, os.replace) and appends
to a log, all through the kernel NFS client, and reads both back with O_DIRECT so the bytes come from the gateway."""
import hashlib, os, sys, time

from guestlib import MNT, handover, md5_of

work = sys.argv[1]
mark, wait = handover(work)


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
