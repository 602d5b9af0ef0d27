#!/bin/sh
# The NFS side of S3EndpointLinuxIT: reads objects the host PUT through the gateway's S3 endpoint, and writes a file
# the host then downloads through it. Run as root in the guest; results go to the folder given as $1.
out=$1
cd "${VM_NFS_MNT:-/mnt/nfs}" || exit 1
rc() { echo $? > "$out/$1.rc"; }

md5sum s3put/model.bin | cut -d' ' -f1 > "$out/s3put.md5" 2> "$out/s3put.err"; rc s3put
md5sum s3put/multipart.bin | cut -d' ' -f1 > "$out/s3multi.md5" 2> "$out/s3multi.err"; rc s3multi
stat -c '%s' s3put/multipart.bin > "$out/s3multi.size"
ls s3put > "$out/s3put.ls"
/usr/bin/python3 - > "$out/nfsput.md5" 2> "$out/nfsput.err" <<'PY'
import hashlib, os, random
os.makedirs("nfsput", exist_ok=True)
data = random.Random(11).randbytes(2 * 1024 * 1024 + 777)
with open("nfsput/data.bin", "wb") as f:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())
print(hashlib.md5(data).hexdigest())
PY
rc nfsput
