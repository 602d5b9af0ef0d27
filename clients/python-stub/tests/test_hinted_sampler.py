import multiprocessing
import warnings

import grpc
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler, WeightedRandomSampler

from conftest import TOKEN
from prefetchd_client import HintClient, HintedSampler


class Recording(Dataset):
    """Returns its index and records every __getitem__ call (in the worker processes) in a shared list."""

    def __init__(self, n, calls):
        self.n = n
        self.calls = calls

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls.append(i)
        return i


def received(client, sampler, epoch, rank=0):
    status = client.epoch_status(sampler._dataset_id, sampler.job, epoch)
    ranks = {r.rank: r for r in status.ranks}
    return ranks[rank]


def fnv1a64(order):
    h = 0xcbf29ce484222325
    for v in order:
        for b in range(4):
            h ^= (v >> (8 * b)) & 0xff
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def test_dataloader_with_workers_reads_in_the_published_order(client):
    calls = multiprocessing.Manager().list()
    ds = Recording(500, calls)
    sampler = HintedSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(7)), client,
                            dataset="/mnt/data/loader-test", job="loader")
    loader = DataLoader(ds, sampler=sampler, batch_size=16, num_workers=2)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        del calls[:]
        yielded = [int(i) for batch in loader for i in batch]
        got = received(client, sampler, epoch)
        assert got.length == 500
        assert list(got.head) == yielded
        assert got.fnv1a64 == fnv1a64(yielded)
        # __getitem__ ran once per published index (workers interleave in time, so compare as multisets)
        assert sorted(calls) == sorted(yielded)


def test_distributed_ranks_each_publish_their_share(client):
    ds = Recording(101, [])
    orders = {}
    for rank in range(2):
        s = HintedSampler(DistributedSampler(ds, num_replicas=2, rank=rank, seed=3), client,
                          dataset="/mnt/data/ddp-test", job="ddp")
        s.set_epoch(4)
        orders[rank] = [int(i) for batch in DataLoader(ds, sampler=s, batch_size=8, num_workers=2) for i in batch]
    status = client.epoch_status(s._dataset_id, "ddp", 4)
    assert status.planned == len(orders[0]) + len(orders[1])
    for r in status.ranks:
        assert r.world_size == 2
        assert list(r.head) == orders[r.rank]


def test_weighted_sampler_is_passed_through(client):
    s = HintedSampler(WeightedRandomSampler([1.0] * 50, 200), client, dataset="/mnt/data/weighted", job="w")
    order = list(s)
    assert len(order) == 200
    assert list(received(client, s, 0).head) == order


def test_republishing_replaces(client):
    ds_id, _ = client.register_dataset("/mnt/data/replace", "files", 10)
    client.publish_epoch(ds_id, "r", 0, [1, 2, 3])
    client.publish_epoch(ds_id, "r", 0, [9, 8])
    status = client.epoch_status(ds_id, "r", 0)
    assert status.planned == 2
    assert list(status.ranks[0].head) == [9, 8]


def test_gateway_down_trains_with_one_warning():
    client = HintClient("127.0.0.1:1", timeout=2)
    ds = Recording(40, [])
    sampler = HintedSampler(RandomSampler(ds), client, dataset="/mnt/data/down")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = []
        for epoch in range(3):
            sampler.set_epoch(epoch)
            seen.append(sorted(int(i) for batch in DataLoader(ds, sampler=sampler, batch_size=8) for i in batch))
    assert seen == [list(range(40))] * 3
    mine = [w for w in caught if "prefetchd" in str(w.message)]
    assert len(mine) == 1


def test_index_out_of_range_is_invalid_argument_naming_it(client):
    ds_id, _ = client.register_dataset("/mnt/data/small", "files", 10)
    with pytest.raises(grpc.RpcError) as e:
        client.publish_epoch(ds_id, "j", 0, [0, 1, 10, 11])
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "index 10 at position 2" in e.value.details()


def test_unknown_dataset_is_not_found(client):
    with pytest.raises(grpc.RpcError) as e:
        client.publish_epoch("no-such-dataset", "j", 0, [0])
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_wrong_token_is_unauthenticated(gateway):
    for token in (None, TOKEN + "x"):
        with HintClient(gateway, token=token) as c:
            with pytest.raises(grpc.RpcError) as e:
                c.register_dataset("/mnt/data/x", "files", 1)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
