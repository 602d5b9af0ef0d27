"""A thin client for the prefetchd.v1.Hints gRPC API (prefetch-planner/src/main/proto/prefetchd/v1/hints.proto)."""
from __future__ import annotations

import sys
from array import array
from typing import Iterator, Optional, Sequence, Tuple

import grpc

from prefetchd_client.v1 import hints_pb2, hints_pb2_grpc

# Indices per IndexChunk: at most 5 bytes each as varints, so a chunk stays far below the gateway's 4 MiB limit.
CHUNK = 131072

HintError = grpc.RpcError


class HintClient:
    """Talks to one gateway. ``target`` is ``host:port``; ``token`` is sent as ``authorization: Bearer <token>``.

    Every call raises ``grpc.RpcError`` (``HintError``) on failure; ``.code()`` is the gRPC status
    (NOT_FOUND: unknown dataset, INVALID_ARGUMENT: bad index, UNAUTHENTICATED: wrong token, UNAVAILABLE: down).
    """

    def __init__(self, target: str, token: Optional[str] = None, timeout: float = 30.0):
        self.target = target
        self.timeout = timeout
        self._metadata: Tuple[Tuple[str, str], ...] = (("authorization", "Bearer " + token),) if token else ()
        self._channel = grpc.insecure_channel(target)
        self._stub = hints_pb2_grpc.HintsStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "HintClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def register_dataset(self, path: str, format: str, sample_count: int,
                         columns: Sequence[str] = ()) -> Tuple[str, int]:
        """Returns (dataset_id, sample_count)."""
        r = self._stub.RegisterDataset(hints_pb2.RegisterDatasetRequest(
            path=path, format=format, projected_columns=list(columns), sample_count=sample_count),
            timeout=self.timeout, metadata=self._metadata)
        return r.dataset_id, r.sample_count

    def publish_epoch(self, dataset_id: str, job: str, epoch: int, indices: Sequence[int],
                      rank: int = 0, world_size: int = 1) -> int:
        """Publishes one rank's order for one epoch; returns the number of samples the gateway accepted."""
        r = self._stub.PublishEpoch(self._requests(dataset_id, job, epoch, rank, world_size, indices),
                                    timeout=self.timeout, metadata=self._metadata)
        return r.accepted

    @staticmethod
    def _requests(dataset_id, job, epoch, rank, world_size, indices) -> Iterator[hints_pb2.PublishEpochRequest]:
        yield hints_pb2.PublishEpochRequest(header=hints_pb2.EpochHeader(
            dataset_id=dataset_id, job=job, epoch=epoch, rank=rank, world_size=world_size))
        # le_indices (little-endian uint32 bytes) is ~10x cheaper to build in Python than a repeated field
        packed = array("I", indices)   # raises OverflowError for negative or >= 2**32 values
        if packed.itemsize != 4:
            packed = array("L", indices)
        if sys.byteorder != "little":
            packed.byteswap()
        data = packed.tobytes()
        step = CHUNK * packed.itemsize
        for i in range(0, len(data), step):
            yield hints_pb2.PublishEpochRequest(indices=hints_pb2.IndexChunk(le_indices=data[i:i + step]))

    def epoch_status(self, dataset_id: str, job: str, epoch: int) -> hints_pb2.EpochStatus:
        return self._stub.GetEpochStatus(hints_pb2.EpochRef(dataset_id=dataset_id, job=job, epoch=epoch),
                                         timeout=self.timeout, metadata=self._metadata)

    def end_epoch(self, dataset_id: str, job: str, epoch: int) -> None:
        self._stub.EndEpoch(hints_pb2.EpochRef(dataset_id=dataset_id, job=job, epoch=epoch),
                            timeout=self.timeout, metadata=self._metadata)
