"""Guest side of FleetKillLinuxIT: one training node's ranks reading a hinted WebDataset through different fleet
members. /mnt/nfs is member A; the script mounts member B, reads epoch 0 through A and B (alternate samples) while
the host kills member C mid-epoch, then mounts the restarted C and reads epochs 1 and 2 through A, B and C. Every
read is O_DIRECT, so it reaches a gateway; every sample's bytes are checked. Phases are handed over with marker
files in the shared work folder.

Arguments: WORK B_PORT C_PORT."""
import hashlib, json, mmap, os, subprocess, sys, time

work, b_port, c_port = sys.argv[1], sys.argv[2], sys.argv[3]
samples = json.load(open(os.path.join(work, 'samples.json')))
orders = json.load(open(os.path.join(work, 'orders.json')))
fds = {}


def mark(name, **values):
    tmp = os.path.join(work, name + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(values, f)
    os.rename(tmp, os.path.join(work, name))


def wait(name):
    deadline = time.time() + 300
    while not os.path.exists(os.path.join(work, name)):
        if time.time() > deadline:
            sys.exit('the host never wrote ' + name)
        time.sleep(0.05)


def mount(port, mnt):
    os.makedirs(mnt, exist_ok=True)
    server = os.environ['VM_NFS_SERVER']
    # nosharecache: the kernel would otherwise share one superblock between mounts of the same server address
    subprocess.run(['mount', '-t', 'nfs4', '-o', 'vers=4.1,port=%s,addr=%s,clientaddr=127.0.0.1,nosharecache'
                    % (port, server), server + ':/', mnt], check=True)


def read_sample(mnt, i):
    shard, off, size, md5 = samples[i]
    key = (mnt, shard)
    if key not in fds:
        fds[key] = os.open(mnt + '/' + shard, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, (size + 4095) // 4096 * 4096)   # NFS O_DIRECT takes any offset and length
    got = 0
    while got < size:
        n = os.preadv(fds[key], [memoryview(buf)[got:size]], off + got)
        if n <= 0:
            sys.exit('short read of sample %d through %s' % (i, mnt))
        got += n
    if hashlib.md5(buf[:size]).hexdigest() != md5:
        sys.exit('wrong bytes for sample %d through %s' % (i, mnt))


def epoch(number, mounts, pause=None):
    """Reads the epoch's samples in order, sample k through mounts[k % len(mounts)]. pause(k) runs before sample k."""
    per_mount = {m: 0 for m in mounts}
    t0 = time.time()
    for k, i in enumerate(orders[number]):
        if pause:
            pause(k)
        m = mounts[k % len(mounts)]
        read_sample(m, i)
        per_mount[m] += 1
    print('epoch %d: %d samples in %.1f s, %s' % (number, len(orders[number]), time.time() - t0, per_mount))
    return per_mount


A, B, C = '/mnt/nfs', '/mnt/b', '/mnt/c'
mount(b_port, B)
n = len(orders[0])


def kill_mid_epoch(k):
    # at half the epoch the host kills C while reads go on; from three quarters on, reads wait until it is dead
    if k == n // 2:
        mark('half')
    if k == 3 * n // 4:
        wait('killed')


epoch(0, [A, B], kill_mid_epoch)
mark('epoch-0')
wait('rejoined')
mount(c_port, C)
epoch(1, [A, B, C])
mark('epoch-1')
wait('warm')
per_mount = epoch(2, [A, B, C])
mark('epoch-2', through_c=per_mount[C])
