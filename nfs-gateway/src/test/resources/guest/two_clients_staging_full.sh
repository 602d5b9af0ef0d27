#!/bin/sh
# Run in the guest by TwoClientsLinuxIT. The tool's mount ($VM_NFS_MNT) is client A; a second mount of the same
# export with nosharecache is client B, with its own page and attribute caches, as a second machine would have.
#  1. close-to-open: what A wrote and closed, B's next open reads, twice (the second version longer);
#  2. a staging area smaller than what is written: a file fsynced first stays readable with its bytes, a write
#     beyond the staging budget fails with ENOSPC at the writer.
# Writes <name>.rc / .err / .txt / .md5 files into the folder given as $1.
out="$1"
a="$VM_NFS_MNT"
b=/mnt/b
mkdir -p "$b"
# mount(2) of nfs4 needs the server's address as an option (no mount.nfs helper resolves it)
mount -t nfs4 -o "vers=4.1,port=$VM_NFS_PORT,addr=$VM_NFS_SERVER,clientaddr=127.0.0.1,nosharecache" \
  "$VM_NFS_SERVER:/" "$b" 2> "$out/mount-b.err"
rc=$?
echo $rc > "$out/mount-b.rc"
[ $rc = 0 ] || exit 0

printf 'version-1' > "$a/shared.txt"
cat "$b/shared.txt" > "$out/c2o-1.txt"
printf 'version-2, longer' > "$a/shared.txt"
cat "$b/shared.txt" > "$out/c2o-2.txt"

dd if=/dev/urandom of="$a/kept.bin" bs=1M count=4 conv=fsync 2> "$out/kept.err"
echo $? > "$out/kept.rc"
md5sum < "$a/kept.bin" | cut -d' ' -f1 > "$out/kept.md5"
dd if=/dev/zero of="$a/too-big.bin" bs=1M count=64 conv=fsync 2> "$out/too-big.err"
echo $? > "$out/too-big.rc"
md5sum < "$b/kept.bin" | cut -d' ' -f1 > "$out/kept-b.md5"
umount "$b" || true
