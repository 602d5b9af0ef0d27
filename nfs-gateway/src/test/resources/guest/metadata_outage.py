"""Guest side of MetadataLinuxIT: reads an ImageFolder dataset through the kernel NFS client in the host's
published orders, then waits for the host between phases (marker files in the shared work folder) while the host
replaces an object and makes S3 blackholed, reachable and refusing in turn. Every read is O_DIRECT, so it reaches
the gateway; every file's bytes are checked."""
import errno, json, os, sys, time

from guestlib import MNT, handover, md5_of

work = sys.argv[1]
mark, wait = handover(work)
samples = json.load(open(os.path.join(work, 'samples.json')))
orders = json.load(open(os.path.join(work, 'orders.json')))


# names of the uncached files are known (listed, stat'ed), their bytes never read
os.listdir(MNT + 'other')
os.stat(MNT + 'other/uncached-1.bin')
os.stat(MNT + 'other/uncached-2.bin')

for epoch, order in enumerate(orders):
    started = time.time()
    for i in order:
        path, md5 = samples[i]
        if md5_of(path) != md5:
            sys.exit('wrong bytes for sample %d in epoch %d' % (i, epoch))
    mark('epoch-%d' % epoch, seconds=time.time() - started)
    wait('go-%d' % epoch)

expected = {path: md5 for path, md5 in samples}
replaced = samples[0][0]
expected[replaced] = open(os.path.join(work, 'replaced.md5')).read().strip()
started = time.time()
while md5_of(replaced) != expected[replaced]:
    if time.time() - started > 90:
        sys.exit('the replaced object was not seen in 90 s')
    time.sleep(0.2)
mark('replaced', seconds=time.time() - started)
wait('blackhole')


def cached_files_read():
    for path, md5 in expected.items():
        if md5_of(path) != md5:
            sys.exit('wrong bytes for cached ' + path + ' while S3 is down')


def uncached_fails(path):
    started = time.time()
    try:
        md5_of(path)
    except OSError as e:
        return time.time() - started, errno.errorcode.get(e.errno, str(e.errno))
    sys.exit('reading uncached ' + path + ' succeeded while S3 is down')


cached_files_read()
seconds, code = uncached_fails('other/uncached-1.bin')
mark('blackholed', seconds=seconds, error=code)
wait('pass')

uncached = json.load(open(os.path.join(work, 'uncached.json')))
started = time.time()
while True:
    try:
        if md5_of('other/uncached-1.bin') != uncached['other/uncached-1.bin']:
            sys.exit('wrong bytes for other/uncached-1.bin after S3 came back')
        break
    except OSError:
        if time.time() - started > 90:
            sys.exit('reads did not recover in 90 s')
        time.sleep(0.2)
mark('recovered', seconds=time.time() - started)
wait('refuse')

cached_files_read()
seconds, code = uncached_fails('other/uncached-2.bin')
mark('refused', seconds=seconds, error=code)
print('guest done')
