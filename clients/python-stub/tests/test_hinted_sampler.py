import multiprocessing
import warnings

import grpc
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler, WeightedRandomSampler

from conftest import TOKEN
from prefetchd_client import HintClient, HintedSampler, export_path_from_mounts

# Batches come back from DataLoader workers through shared memory. The default "file_descriptor" strategy hands each
# batch's descriptor over a per-process socket (multiprocessing.resource_sharer); on the loaded 2-core CI machine that
# handshake failed once ("bad message length" in answer_challenge). These tests check the order of __getitem__ calls,
# not how tensors travel, so they use the "file_system" strategy.
torch.multiprocessing.set_sharing_strategy("file_system")

# The demo daemon's bucket, as a job would see it with the export root mounted at /mnt/data
IMAGES = "/mnt/data/imagefolder/train"     # 4 classes x 50 files = 200 samples
WDS = "/mnt/data/webdataset"               # 4 shards x 25 samples = 100 samples
CLASSES = ["cat", "dog", "frog", "ship"]


class Recording(Dataset):
    """Returns (index, worker id, per-worker call number) and records each __getitem__ call in a shared list."""

    def __init__(self, n, calls=None):
        self.n = n
        self.calls = calls
        self.seq = 0   # each worker process has its own copy, so this counts that worker's calls

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else -1
        seq = self.seq
        self.seq += 1
        if self.calls is not None:
            self.calls.append((wid, seq, int(i)))
        return int(i), wid, seq


class FakeImageFolder(Recording):
    """torchvision.datasets.ImageFolder's shape over the demo's imagefolder/train: .samples of (path, class)."""

    def __init__(self, calls=None, root=IMAGES):
        super().__init__(200, calls)
        self.samples = [("%s/%s/%04d.jpg" % (root, c, i), k) for k, c in enumerate(CLASSES) for i in range(50)]


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


def run_and_check_call_order(client, sampler, loader, calls, epoch, rank=0):
    """Runs one epoch and asserts the gateway's order for it is the order __getitem__ was called in.

    With num_workers > 0 the workers run concurrently, so the shared list's interleaving says nothing; what is
    exact is (1) the batches, yielded in sampler order, each item carrying the worker and that worker's call
    number, and (2) each worker's own calls in its call-number order. The published order must equal (1), and
    each worker's calls must be exactly its items of (1), in the same order.
    """
    del calls[:]
    yielded = []
    for idx, wid, seq in loader:
        yielded.extend(zip(idx.tolist(), wid.tolist(), seq.tolist()))
    got = received(client, sampler, epoch, rank)
    published = list(got.head)
    assert got.length == len(yielded) <= 1000
    assert got.fnv1a64 == fnv1a64(published)
    assert [i for i, _, _ in yielded] == published, "the loader yielded the published order"
    by_worker = {}
    for wid, seq, i in list(calls):
        by_worker.setdefault(wid, []).append((seq, i))
    assert len(calls) == len(published), "one __getitem__ call per published index"
    assert set(by_worker) == {w for _, w, _ in yielded}
    for wid, worker_calls in by_worker.items():
        in_call_order = [i for _, i in sorted(worker_calls)]
        assert in_call_order == [i for i, w, _ in yielded if w == wid], "worker %d called in published order" % wid
        assert [seq for seq, _ in sorted(worker_calls)] == [s for _, w, s in yielded if w == wid]
    return published


def test_dataloader_with_workers_calls_getitem_in_the_published_order(client):
    calls = multiprocessing.Manager().list()
    ds = Recording(200, calls)
    sampler = HintedSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(7)), client,
                            dataset=IMAGES, format="imagefolder", job="loader")
    loader = DataLoader(ds, sampler=sampler, batch_size=16, num_workers=2)
    orders = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        orders.append(run_and_check_call_order(client, sampler, loader, calls, epoch))
    assert sorted(orders[0]) == list(range(200))
    assert orders[0] != orders[1], "a fresh permutation each epoch"


def test_distributed_ranks_each_publish_the_order_their_workers_call(client):
    calls = multiprocessing.Manager().list()
    ds = Recording(100, calls)
    shares = {}
    for rank in range(2):
        s = HintedSampler(DistributedSampler(ds, num_replicas=2, rank=rank, seed=3), client,
                          dataset=WDS, format="webdataset", job="ddp")
        s.set_epoch(4)
        loader = DataLoader(ds, sampler=s, batch_size=8, num_workers=2)
        shares[rank] = run_and_check_call_order(client, s, loader, calls, 4, rank)
    status = client.epoch_status(s._dataset_id, "ddp", 4)
    assert status.planned == 100
    assert sorted(shares[0] + shares[1]) == list(range(100))
    assert {r.world_size for r in status.ranks} == {2}


def test_path_list_is_published_as_the_gateways_sample_ids(client):
    calls = multiprocessing.Manager().list()
    ds = FakeImageFolder(calls)
    sampler = HintedSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(11)), client,
                            dataset=IMAGES, format="imagefolder", job="paths",
                            paths=[p for p, _ in ds.samples])
    loader = DataLoader(ds, sampler=sampler, batch_size=10, num_workers=2)
    sampler.set_epoch(0)
    # same order as indices: the job's ImageFolder order is the gateway's
    run_and_check_call_order(client, sampler, loader, calls, 0)


def test_paths_in_another_order_than_the_gateways_are_mapped_by_name(client):
    ds = FakeImageFolder()
    reversed_samples = ds.samples[::-1]   # the job's index i is the gateway's 199 - i
    sampler = HintedSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(5)), client,
                            dataset=IMAGES, format="imagefolder", job="reversed",
                            paths=lambda i: reversed_samples[i][0])
    order = list(sampler)
    assert list(received(client, sampler, 0).head) == [199 - i for i in order]


def test_relative_paths_are_accepted(client):
    ds_id, n = client.register_dataset(IMAGES, "imagefolder", 200)
    assert n == 200
    assert client.publish_epoch_paths(ds_id, "rel", 0, ["ship/0049.jpg", "cat/0000.jpg"]) == 2
    assert list(client.epoch_status(ds_id, "rel", 0).ranks[0].head) == [199, 0]


def test_weighted_sampler_is_passed_through(client):
    s = HintedSampler(WeightedRandomSampler([1.0] * 100, 300), client, dataset=WDS, format="webdataset", job="w")
    order = list(s)
    assert len(order) == 300
    assert list(received(client, s, 0).head) == order


def test_republishing_replaces(client):
    ds_id, _ = client.register_dataset(WDS, "webdataset", 100)
    client.publish_epoch(ds_id, "r", 0, [1, 2, 3])
    client.publish_epoch(ds_id, "r", 0, [9, 8])
    status = client.epoch_status(ds_id, "r", 0)
    assert status.planned == 2
    assert list(status.ranks[0].head) == [9, 8]


def test_next_set_epoch_ends_the_consumed_epoch_at_the_gateway(client):
    sampler = HintedSampler(RandomSampler(range(100)), client, dataset=WDS, format="webdataset", job="ends")
    sampler.set_epoch(0)
    assert len(list(sampler)) == 100
    assert not client.epoch_status(sampler._dataset_id, "ends", 0).ended, "a DataLoader may still be reading it"
    sampler.set_epoch(1)
    assert client.epoch_status(sampler._dataset_id, "ends", 0).ended


def test_close_ends_an_epoch_left_midway(client):
    with HintedSampler(RandomSampler(range(100)), client, dataset=WDS, format="webdataset", job="midway") as sampler:
        sampler.set_epoch(3)
        next(iter(sampler))
        assert not client.epoch_status(sampler._dataset_id, "midway", 3).ended
    assert client.epoch_status(sampler._dataset_id, "midway", 3).ended


def test_next_epoch_ends_the_one_abandoned_before_it(client):
    sampler = HintedSampler(RandomSampler(range(100)), client, dataset=WDS, format="webdataset", job="abandon")
    next(iter(sampler))   # epoch 0, left after one index (a `break` in the training loop)
    next(iter(sampler))   # epoch 1
    assert client.epoch_status(sampler._dataset_id, "abandon", 0).ended
    assert not client.epoch_status(sampler._dataset_id, "abandon", 1).ended


def test_register_without_count_takes_the_gateways(client):
    assert client.register_dataset(WDS, "webdataset")[1] == 100


def test_gateway_down_trains_with_one_warning():
    client = HintClient("127.0.0.1:1", timeout=2)
    ds = Recording(40)
    sampler = HintedSampler(RandomSampler(ds), client, dataset="/mnt/data/down")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = []
        for epoch in range(3):
            sampler.set_epoch(epoch)
            seen.append(sorted(int(i) for batch in DataLoader(ds, sampler=sampler, batch_size=8) for i in batch[0]))
    assert seen == [list(range(40))] * 3
    mine = [w for w in caught if "prefetchd" in str(w.message)]
    assert len(mine) == 1


def test_index_out_of_range_is_invalid_argument_naming_it(client):
    ds_id, _ = client.register_dataset(WDS, "webdataset", 100)
    with pytest.raises(grpc.RpcError) as e:
        client.publish_epoch(ds_id, "j", 0, [0, 1, 100, 101])
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "index 100 at position 2" in e.value.details()


def test_unknown_path_is_invalid_argument_naming_it_and_its_position(client):
    ds_id, _ = client.register_dataset(IMAGES, "imagefolder", 200)
    with pytest.raises(grpc.RpcError) as e:
        client.publish_epoch_paths(ds_id, "j", 0, [IMAGES + "/cat/0000.jpg", IMAGES + "/cat/9999.jpg"])
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "path '%s/cat/9999.jpg' at position 1" % IMAGES in e.value.details()


def test_count_mismatch_is_failed_precondition_naming_both_counts(client):
    with pytest.raises(grpc.RpcError) as e:
        client.register_dataset(WDS, "webdataset", 101)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "101 samples" in e.value.details() and "has 100" in e.value.details()


def test_path_not_in_the_export_is_not_found(client):
    with pytest.raises(grpc.RpcError) as e:
        client.register_dataset("/mnt/data/no-such-dataset", "files")
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    assert "/mnt/data/no-such-dataset" in e.value.details()


def test_unknown_format_is_invalid_argument(client):
    with pytest.raises(grpc.RpcError) as e:
        client.register_dataset(WDS, "tfrecord")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_dataset_is_not_found(client):
    with pytest.raises(grpc.RpcError) as e:
        client.publish_epoch("no-such-dataset", "j", 0, [0])
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_wrong_token_is_unauthenticated(gateway):
    for token in (None, TOKEN + "x"):
        with HintClient(gateway, token=token) as c:
            with pytest.raises(grpc.RpcError) as e:
                c.register_dataset(WDS, "webdataset", 100)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


MOUNTS = """sysfs /sys sysfs rw,nosuid 0 0
/dev/nvme0n1p1 / ext4 rw,relatime 0 0
gateway:/ /mnt/data nfs4 rw,relatime,vers=4.1,port=20490 0 0
gateway:/imagenet /mnt/imagenet nfs4 rw,vers=4.1 0 0
[fd00::5]:/shards /mnt/v6 nfs rw,vers=3 0 0
/dev/sdb1 /mnt/data/scratch ext4 rw 0 0
gateway:/ /mnt/with\\040space nfs4 rw 0 0
"""


@pytest.mark.parametrize("path,expected", [
    ("/mnt/data/imagefolder/train", "imagefolder/train"),
    ("/mnt/data/imagefolder/train/", "imagefolder/train"),
    ("/mnt/imagenet/train", "imagenet/train"),
    ("/mnt/v6/train-{000000..000003}.tar", "shards/train-{000000..000003}.tar"),
    ("/mnt/data/scratch/train", ""),     # a local file system mounted inside the NFS mount
    ("/home/me/train", ""),              # not on NFS
    ("/mnt/with space/train", "train"),  # /proc/mounts escapes spaces as \040
    ("/mnt/database/train", ""),         # /mnt/data is not a prefix of /mnt/database
])
def test_export_path_comes_from_the_nfs_mount_the_path_is_on(path, expected):
    assert export_path_from_mounts(path, MOUNTS) == expected
