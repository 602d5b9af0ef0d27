#!/bin/sh
# Writes through the mount as a training job and its shell do: create, append, a checkpoint written to a
# temporary name, fsync'ed and renamed into place, a checkpoint folder renamed into place, chmod, truncate,
# touch, rm, rmdir, and what S3 cannot hold (links, FIFOs). Run as root in the guest, from the mount point.
# Every check leaves its exit status (NAME.rc), output and error (NAME.err) in the folder given as $1.
out=$1
cd "${VM_NFS_MNT:-/mnt/nfs}" || exit 1
rc() { echo $? > "$out/$1.rc"; }

{ echo hello > new.txt; } 2> "$out/create.err"; rc create
cat new.txt > "$out/new.txt"
/usr/bin/python3 - > "$out/ckpt.md5" 2> "$out/ckpt.err" <<'PY'
import hashlib, os, random
data = random.Random(7).randbytes(3 * 1024 * 1024 + 12345)
with open("ckpt.tmp", "wb") as f:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())
os.replace("ckpt.tmp", "ckpt.pt")
print(hashlib.md5(data).hexdigest())
PY
rc ckpt
md5sum ckpt.pt | cut -d' ' -f1 > "$out/ckpt-readback.md5"

mkdir run.tmp && mkdir run.tmp/step-10 && echo weights > run.tmp/step-10/w.bin && mv run.tmp run-final; rc dir-rename
ls -R run-final > "$out/ls-run.txt"
rmdir run-final 2> "$out/rmdir-full.err"; rc rmdir-full
rm run-final/step-10/w.bin && rmdir run-final/step-10 run-final; rc rmdir

chmod 600 new.txt && stat -c '%a %u %g %s' new.txt > "$out/stat.txt"; rc chmod
echo more >> new.txt; rc append
truncate -s 3 new.txt && cat new.txt > "$out/truncated.txt"; rc truncate
touch -d '2020-02-03 04:05:06 UTC' new.txt && stat -c %Y new.txt > "$out/mtime.txt"; rc touch
mv new.txt moved.txt; rc mv

ln -s moved.txt sym 2> "$out/symlink.err"; rc symlink
ln moved.txt hard 2> "$out/hardlink.err"; rc hardlink
mkfifo fifo 2> "$out/mkfifo.err"; rc mkfifo
mkdir moved.txt 2> "$out/mkdir-exists.err"; rc mkdir-exists
rm nope 2> "$out/rm-missing.err"; rc rm-missing

mkdir locked && chmod 755 locked; rc locked
setpriv --reuid 1000 --regid 1000 --clear-groups touch locked/x 2> "$out/other-user.err"; rc other-user
ls > "$out/ls-final.txt"
stat -f -c '%S %b %a %c %d' . > "$out/statfs.txt"   # block size, blocks, blocks available, files, files free
exit 0
