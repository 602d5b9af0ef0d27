"""A thin client for the prefetchd.v1.Hints gRPC API (prefetch-planner/src/main/proto/prefetchd/v1/hints.proto)."""
from __future__ import annotations

import os
import re
import sys
from array import array
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import grpc

from prefetchd_client.v1 import hints_pb2, hints_pb2_grpc

# Indices per IndexChunk: at most 5 bytes each as varints, so a chunk stays far below the gateway's 4 MiB limit.
CHUNK = 131072

# Bytes of paths per PathChunk: far below the gateway's 4 MiB message limit.
PATH_CHUNK_BYTES = 1 << 20

HintError = grpc.RpcError

_NFS_TYPES = ("nfs", "nfs4")
_DEVICE = re.compile(r"^(\[[^\]]*\]|[^:\[]*):(.*)$")   # host:/path or [v6addr]:/path


def _unescape(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash in paths as \040, \011, \012, \134
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def export_path_from_mounts(path: str, mounts: str) -> str:
    """The dataset's path inside the gateway's export, from a mount table in /proc/mounts format.

    ``path`` is the dataset as the job sees it (``/mnt/data/train``). When the mount it is on (the longest
    mount point containing it) is an nfs/nfs4 mount of ``host:/sub``, the result is ``sub`` joined with the
    rest of the path below the mount point (``train``, or ``sub/train``); otherwise ``""`` (the gateway then
    guesses from the path). Pure: no I/O.
    """
    path = os.path.normpath(path)
    best = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        device, mount_point, fstype = _unescape(fields[0]), os.path.normpath(_unescape(fields[1])), fields[2]
        if path == mount_point or path.startswith(mount_point.rstrip("/") + "/"):
            if best is None or len(mount_point) >= len(best[1]):
                best = (device, mount_point, fstype)
    if best is None or best[2] not in _NFS_TYPES:
        return ""
    m = _DEVICE.match(best[0])
    if not m:
        return ""
    rest = path[len(best[1]):]
    parts = [p for p in (m.group(2) + "/" + rest).split("/") if p and p != "."]
    return "/".join(parts)


def export_path_of(path: str, mounts_file: str = "/proc/mounts") -> str:
    """:func:`export_path_from_mounts` over this machine's mount table ("" when it cannot be read)."""
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as f:
            return export_path_from_mounts(os.path.abspath(path), f.read())
    except OSError:
        return ""


class HintClient:
    """Talks to one gateway. ``target`` is ``host:port``; ``token`` is sent as ``authorization: Bearer <token>``.

    Every call raises ``grpc.RpcError`` (``HintError``) on failure; ``.code()`` is the gRPC status
    (NOT_FOUND: unknown dataset, INVALID_ARGUMENT: bad index, UNAUTHENTICATED: wrong token, UNAVAILABLE: down).
    """

    def __init__(self, target: str, token: Optional[str] = None, timeout: float = 30.0, tls: bool = False,
                 root_certificates: Optional[bytes] = None):
        """``tls=True`` talks TLS to a gateway with ``prefetchd.grpc.tls-cert``, trusting the system's CAs, or
        only ``root_certificates`` (PEM bytes, e.g. a self-signed certificate) when given, which implies TLS."""
        self.target = target
        self.timeout = timeout
        self._metadata: Tuple[Tuple[str, str], ...] = (("authorization", "Bearer " + token),) if token else ()
        if tls or root_certificates is not None:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self._channel = grpc.secure_channel(target, credentials)
        else:
            self._channel = grpc.insecure_channel(target)
        self._stub = hints_pb2_grpc.HintsStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "HintClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def register_dataset(self, path: str, format: str, sample_count: int = 0,
                         columns: Sequence[str] = (), export_path: Optional[str] = None,
                         timeout: Optional[float] = None) -> Tuple[str, int]:
        """Registers the dataset at ``path`` (as mounted here); returns (dataset_id, the gateway's sample_count).

        ``format`` is imagefolder, webdataset, parquet or files. ``sample_count`` is ``len()`` of the job's
        dataset, or 0 to take the gateway's; when they differ the call fails with FAILED_PRECONDITION.
        ``export_path`` (the dataset inside the gateway's export) defaults to what /proc/mounts says when
        ``path`` is on an NFS mount. The gateway indexes the dataset before answering, which can take a while
        the first time: ``timeout`` (default: the client's) bounds the wait; the gateway keeps indexing.
        """
        if export_path is None:
            export_path = export_path_of(path)
        r = self._stub.RegisterDataset(hints_pb2.RegisterDatasetRequest(
            path=path, format=format, projected_columns=list(columns), sample_count=sample_count,
            export_path=export_path), timeout=timeout or self.timeout, metadata=self._metadata)
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

    def publish_epoch_paths(self, dataset_id: str, job: str, epoch: int, paths: Iterable[str],
                            rank: int = 0, world_size: int = 1) -> int:
        """Publishes one rank's order as file paths (relative to the dataset, or as mounted under the path it
        was registered with); for file-per-sample datasets. Returns the number of samples accepted."""
        r = self._stub.PublishEpoch(self._path_requests(dataset_id, job, epoch, rank, world_size, paths),
                                    timeout=self.timeout, metadata=self._metadata)
        return r.accepted

    @staticmethod
    def _path_requests(dataset_id, job, epoch, rank, world_size, paths) -> Iterator[hints_pb2.PublishEpochRequest]:
        yield hints_pb2.PublishEpochRequest(header=hints_pb2.EpochHeader(
            dataset_id=dataset_id, job=job, epoch=epoch, rank=rank, world_size=world_size))
        chunk: List[str] = []
        size = 0
        for p in paths:
            p = os.fspath(p)
            chunk.append(p)
            size += len(p) + 3
            if size >= PATH_CHUNK_BYTES:
                yield hints_pb2.PublishEpochRequest(paths=hints_pb2.PathChunk(paths=chunk))
                chunk, size = [], 0
        if chunk:
            yield hints_pb2.PublishEpochRequest(paths=hints_pb2.PathChunk(paths=chunk))

    def epoch_status(self, dataset_id: str, job: str, epoch: int) -> hints_pb2.EpochStatus:
        return self._stub.GetEpochStatus(hints_pb2.EpochRef(dataset_id=dataset_id, job=job, epoch=epoch),
                                         timeout=self.timeout, metadata=self._metadata)

    def end_epoch(self, dataset_id: str, job: str, epoch: int) -> None:
        self._stub.EndEpoch(hints_pb2.EpochRef(dataset_id=dataset_id, job=job, epoch=epoch),
                            timeout=self.timeout, metadata=self._metadata)
