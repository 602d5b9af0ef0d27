"""Checkpoints through the mount, as training code writes them. Run in the guest by CheckpointLinuxIT.

  checkpoint.py save ROOT MIB   torch.save of a seeded state dict of MIB MiB to a temporary file, then os.replace
                                into ROOT/model.pt; a checkpoint folder written as ROOT/step-10.tmp and renamed to
                                ROOT/step-10; prints "MD5 <hex>" of model.pt read back through the mount
  checkpoint.py load ROOT MIB   torch.load of ROOT/model.pt and ROOT/step-10/state.pt: every tensor equal to the
                                seeded ones; prints "MD5 <hex>" of model.pt
  checkpoint.py copy SRC DST    copies SRC to DST through the mount, fsyncs and closes it; prints "FSYNCED"
"""
import hashlib
import json
import os
import re
import sys

CHUNK = 4 * 1024 * 1024  # floats per tensor: 16 MiB each
# S3Proxy's file store (the emulated S3) writes an object as KEY-UUID and renames it into place, and its LIST shows
# that name meanwhile. The gateway lists S3 for a directory, so a listing taken while S3Proxy completes the upload
# of model.pt.tmp (its close began it) or copies it to model.pt may show it; S3 itself never lists such a name.
EMULATOR_TEMP = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def tensors(mib):
    import torch
    g = torch.Generator()
    g.manual_seed(1234)
    for i in range(mib // 16):
        yield "layer%03d.weight" % i, torch.randn(CHUNK, generator=g)


def md5_of(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(root, mib):
    import torch
    os.makedirs(root, exist_ok=True)
    state = dict(tensors(mib))
    tmp = os.path.join(root, "model.pt.tmp")
    torch.save(state, tmp)
    os.replace(tmp, os.path.join(root, "model.pt"))
    folder = os.path.join(root, "step-10.tmp")
    os.mkdir(folder)
    torch.save({"step": torch.tensor([10])}, os.path.join(folder, "state.pt"))
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump({"step": 10}, f)
    os.rename(folder, os.path.join(root, "step-10"))
    names = sorted(n for n in os.listdir(root) if not EMULATOR_TEMP.search(n))
    if names != ["model.pt", "step-10"]:
        sys.exit("unexpected names after the renames: %s" % names)
    print("MD5", md5_of(os.path.join(root, "model.pt")))


def load(root, mib):
    import torch
    state = torch.load(os.path.join(root, "model.pt"))
    expected = dict(tensors(mib))
    if sorted(state) != sorted(expected):
        sys.exit("keys differ: %s" % sorted(state))
    for name, t in expected.items():
        if not torch.equal(state[name], t):
            sys.exit("tensor %s differs" % name)
    step = torch.load(os.path.join(root, "step-10", "state.pt"))
    if step["step"].item() != 10:
        sys.exit("step-10/state.pt holds %s" % step)
    with open(os.path.join(root, "step-10", "meta.json")) as f:
        if json.load(f) != {"step": 10}:
            sys.exit("step-10/meta.json is wrong")
    print("MD5", md5_of(os.path.join(root, "model.pt")))


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src, "rb") as s, open(dst, "wb") as d:
        for block in iter(lambda: s.read(1 << 20), b""):
            d.write(block)
        d.flush()
        os.fsync(d.fileno())
    print("FSYNCED")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "save":
        save(sys.argv[2], int(sys.argv[3]))
    elif cmd == "load":
        load(sys.argv[2], int(sys.argv[3]))
    elif cmd == "copy":
        copy(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)
