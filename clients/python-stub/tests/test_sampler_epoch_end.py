"""When HintedSampler ends an epoch (EndEpoch): after the DataLoader consumed it, never while batches are in flight.

These tests need no gateway: a fake client records the calls.
"""
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, SequentialSampler

from prefetchd_client import HintedSampler

torch.multiprocessing.set_sharing_strategy("file_system")   # as in test_hinted_sampler.py


class FakeClient:
    target = "fake:0"

    def __init__(self):
        self.ended = []

    def register_dataset(self, path, fmt, count=None):
        return "ds-1", count

    def publish_epoch(self, dataset_id, job, epoch, order, rank, world_size):
        pass

    def end_epoch(self, dataset_id, job, epoch):
        self.ended.append(epoch)


class EndsSeen(Dataset):
    """Returns, for each sample, how many epochs the client had ended when it was read (num_workers=0 only)."""

    def __init__(self, n, client):
        self.n = n
        self.client = client

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return len(self.client.ended)


class Plain(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        return i


def sampler_over(n, client, **kw):
    return HintedSampler(SequentialSampler(range(n)), client, dataset="/mnt/data/x", job="j", **kw)


def test_lastPartialBatch_isReadBeforeTheEpochEnds():
    # the last partial batch is formed only once the sampler ran out, and read after that
    client = FakeClient()
    sampler = sampler_over(8, client)
    loader = DataLoader(EndsSeen(8, client), batch_size=3, sampler=sampler)
    seen = [int(v) for batch in loader for v in batch]
    assert seen == [0] * 8, "an epoch ended while its samples were still being read"
    sampler.close()
    assert client.ended == [0]


def test_workersInFlight_epochEndsOnlyAfterTheLoaderIsDone():
    # with 2 workers x prefetch_factor 2, the sampler runs out while the last 3 batches are in flight
    client = FakeClient()
    sampler = sampler_over(16, client)
    loader = DataLoader(Plain(), batch_size=2, sampler=sampler, num_workers=2, prefetch_factor=2)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        got = []
        for batch in loader:
            assert client.ended == list(range(epoch)), "epoch %d ended with batches in flight" % epoch
            got.extend(batch.tolist())
        assert got == list(range(16))
    sampler.close()
    assert client.ended == [0, 1]


def test_setEpoch_sameEpochAgain_keepsItOpen():
    client = FakeClient()
    sampler = sampler_over(4, client)
    sampler.set_epoch(5)
    list(sampler)
    sampler.set_epoch(5)
    assert client.ended == []
    sampler.set_epoch(6)
    assert client.ended == [5]


def test_nextPass_withoutSetEpoch_endsThePreviousEpoch():
    client = FakeClient()
    sampler = sampler_over(4, client)
    list(sampler)
    assert client.ended == []
    list(sampler)
    assert client.ended == [0]
    sampler.close()
    sampler.close()
    assert client.ended == [0, 1], "close ends the open epoch once"


def test_interpreterExit_endsTheLastEpochOfAnUnclosedSampler():
    script = textwrap.dedent("""
        from torch.utils.data import SequentialSampler
        from prefetchd_client import HintedSampler

        class Client:
            target = "fake:0"
            def register_dataset(self, path, fmt, count=None):
                return "ds-1", count
            def publish_epoch(self, *args):
                pass
            def end_epoch(self, dataset_id, job, epoch):
                print("ended", epoch, flush=True)

        sampler = HintedSampler(SequentialSampler(range(4)), Client(), dataset="/mnt/data/x", job="j")
        for epoch in range(3):
            sampler.set_epoch(epoch)
            list(sampler)
        print("training done", flush=True)
    """)
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n") == ["ended 0", "ended 1", "training done", "ended 2", ""]
