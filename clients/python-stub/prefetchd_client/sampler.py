"""HintedSampler: wraps any PyTorch sampler and publishes each epoch's order before yielding it."""
from __future__ import annotations

import atexit
import logging
import os
import warnings
import weakref
from typing import Callable, Iterator, List, Optional, Sequence, Union

from prefetchd_client.client import HintClient

log = logging.getLogger("prefetchd_client")


def _default_job() -> str:
    # the same on every rank of one run, so the gateway can merge the ranks' orders
    for var in ("PREFETCHD_JOB", "TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"):
        if os.environ.get(var):
            return os.environ[var]
    return "default"


class HintedSampler:
    """A sampler that yields exactly what ``sampler`` yields, after publishing it to the gateway.

    On ``__iter__`` it materialises the wrapped sampler's order for the epoch (one list of ints, in the main
    process: DataLoader workers receive indices from it, so ``num_workers > 0`` is fine), publishes it for
    ``(dataset, job, epoch, rank)``, then yields it. Rank and world size come from a ``DistributedSampler``
    (its ``rank``/``num_replicas``) unless given. If the gateway cannot be reached or refuses the order, it logs
    one warning (per sampler) and carries on: a hint never breaks training.

    ``dataset`` is the dataset's path on the mount (``/mnt/data/train``) and ``format`` one of imagefolder,
    webdataset, parquet, files. ``sample_count`` defaults to ``len()`` of the sampler's dataset
    (``data_source``/``dataset``), the number of weights for WeightedRandomSampler, else 0 (the gateway's
    count); the gateway refuses a count that differs from its own index.

    The sampler tells the gateway when an epoch ended (``EndEpoch``), so its report completes even when the
    client's page cache served the last reads and the gateway saw few of them. It does so once the job has
    moved on, never when the epoch's iterator is exhausted: a DataLoader draws indices ahead of its workers
    (``prefetch_factor * num_workers`` batches, and a last partial batch only after the sampler ran out), so
    the last batches are still being read then. Epoch e ends when ``set_epoch`` names another epoch, when the
    next pass over the sampler starts, on ``close()`` (or leaving a ``with`` block), and at interpreter exit
    for an epoch still open (the last epoch of a script that never closes its sampler). Call ``close()`` after
    the training loop to end the last epoch at once. A failure to end an epoch is handled like a failed
    publish.

    ``paths`` (file-per-sample datasets): a list of per-index file paths, e.g.
    ``[p for p, _ in image_folder.samples]``, or a callable ``index -> path``. The order is then published as
    paths (absolute under ``dataset``, or relative to it), so the gateway maps them to its own sample ids and
    the job's indexing need not match the gateway's.
    """

    def __init__(self, sampler, client: HintClient, dataset: str, job: Optional[str] = None,
                 format: str = "files", sample_count: Optional[int] = None,
                 rank: Optional[int] = None, world_size: Optional[int] = None,
                 paths: Union[Sequence[str], Callable[[int], str], None] = None):
        self.sampler = sampler
        self.client = client
        self.dataset = dataset
        self.job = job or _default_job()
        self.format = format
        self.sample_count = sample_count if sample_count is not None else self._infer_count(sampler)
        self.rank = rank if rank is not None else int(getattr(sampler, "rank", 0))
        self.world_size = world_size if world_size is not None else int(getattr(sampler, "num_replicas", 1))
        self.epoch = 0
        self._epoch_set = False
        self._dataset_id: Optional[str] = None
        self._warned = False
        self.paths = paths
        self.last_published: Optional[List[int]] = None
        self._open_epoch: Optional[int] = None   # published, not yet ended
        _samplers.add(self)   # for the last epoch of a script that never closes the sampler

    @staticmethod
    def _infer_count(sampler) -> int:
        for attr in ("data_source", "dataset"):
            ds = getattr(sampler, attr, None)
            if ds is not None:
                try:
                    return len(ds)
                except TypeError:
                    return 0
        weights = getattr(sampler, "weights", None)
        if weights is not None:
            return len(weights)
        return 0   # unknown here: the gateway's count is used

    def _path(self, i: int) -> str:
        return self.paths(i) if callable(self.paths) else self.paths[i]

    def set_epoch(self, epoch: int) -> None:
        if self._open_epoch is not None and self._open_epoch != epoch:
            self.close()   # the loop moved on: every batch of the open epoch was consumed
        self.epoch = epoch
        self._epoch_set = True
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[int]:
        order = [int(i) for i in self.sampler]
        epoch = self.epoch
        self.close()   # the earlier epoch, consumed or abandoned midway, ends before the next one starts
        self._publish(epoch, order)
        if not self._epoch_set:
            self.epoch += 1   # without set_epoch, each pass over the sampler is the next epoch
        return iter(order)

    def close(self) -> None:
        """Ends the epoch in progress, if any. Call it once the DataLoader has yielded its last batch."""
        if self._open_epoch is not None:
            self._end(self._open_epoch)

    def __enter__(self) -> "HintedSampler":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _end(self, epoch: int) -> None:
        self._open_epoch = None
        try:
            self.client.end_epoch(self._dataset_id, self.job, epoch)
        except Exception as e:  # noqa: BLE001 - a hint must never break training
            self._warn(e)

    def _publish(self, epoch: int, order: List[int]) -> None:
        try:
            if self._dataset_id is None:
                self._dataset_id, _ = self.client.register_dataset(self.dataset, self.format, self.sample_count)
            if self.paths is not None:
                paths = [self._path(i) for i in order]
                self.client.publish_epoch_paths(self._dataset_id, self.job, epoch, paths, self.rank, self.world_size)
            else:
                self.client.publish_epoch(self._dataset_id, self.job, epoch, order, self.rank, self.world_size)
            self.last_published = order
            self._open_epoch = epoch
        except Exception as e:  # noqa: BLE001 - a hint must never break training
            self._warn(e)

    def _warn(self, e: Exception) -> None:
        if not self._warned:
            self._warned = True
            detail = e.details() if hasattr(e, "details") else str(e)
            warnings.warn("prefetchd: cannot publish the epoch order to %s (%s); training goes on without "
                          "hints" % (self.client.target, detail), RuntimeWarning, stacklevel=4)
        else:
            log.debug("prefetchd: a hint call failed again: %s", e)


# Every live sampler, held weakly; at interpreter exit the main process's DataLoader has yielded its last batch,
# so an epoch still open there is complete.
_samplers: "weakref.WeakSet[HintedSampler]" = weakref.WeakSet()


@atexit.register
def _end_open_epochs() -> None:
    for sampler in list(_samplers):
        sampler.close()
