"""prefetchd_client: publish each epoch's sample order to a prefetchd gateway.

    from prefetchd_client import HintClient, HintedSampler
    client = HintClient("gateway:50051")
    sampler = HintedSampler(RandomSampler(ds), client, dataset="/mnt/data/train")
"""
from prefetchd_client.client import HintClient, HintError, export_path_from_mounts, export_path_of
from prefetchd_client.sampler import HintedSampler

__all__ = ["HintClient", "HintError", "HintedSampler", "export_path_from_mounts", "export_path_of"]
