"""How long does the Python client take to publish one epoch of N indices (default 10,000,000)?

Compares against a baseline in the same run: building the protobuf chunks alone (no network). The order walks
the demo's webdataset (100 samples) with replacement, as a sampler drawing N samples would.
Run against a running daemon (bin/prefetchd demo prints its `hints: grpc host:port` line):

    /usr/bin/python3 clients/python-stub/bench_publish.py 127.0.0.1:50051 [N] [token]
"""
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prefetchd_client import HintClient  # noqa: E402
from prefetchd_client.client import HintClient as _C  # noqa: E402


def main():
    target = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    token = sys.argv[3] if len(sys.argv) > 3 else None
    rng = random.Random(1)
    with HintClient(target, token=token, timeout=120) as c:
        ds, count = c.register_dataset("/mnt/data/webdataset", "webdataset")
        order = [rng.randrange(count) for _ in range(n)]
        t0 = time.perf_counter()
        for _ in _C._requests("x", "bench", 0, 0, 1, order):
            pass
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        accepted = c.publish_epoch(ds, "bench", 0, order)
        total = time.perf_counter() - t0
    print("python client: published %d indices in %.0f ms (building the chunks alone: %.0f ms, ratio %.2f)"
          % (accepted, total * 1000, build * 1000, total / build))


if __name__ == "__main__":
    main()
