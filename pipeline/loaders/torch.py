"""PyTorch datasets over a token dataset (imports torch; the rest of pipeline.loaders does not).

`TokenMapDataset`: map-style; index i is this rank's i-th example of the current epoch (call
`set_epoch`), so a plain DataLoader with shuffle=False reads the seeded, curriculum-respecting
order. `TokenIterableDataset`: yields this rank's examples from where it stopped and tracks
its position: `state_dict()` / `load_state_dict()` resume exactly (use num_workers=0, or save
the state from the main process's copy with a sampler-free single worker).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset

from pipeline.loaders.numpy_iter import ExampleOrder, ResumableOrder, TokenShards


def _pair(block: np.ndarray) -> dict[str, torch.Tensor]:
    t = torch.from_numpy(block)
    return {"input_ids": t[..., :-1], "labels": t[..., 1:]}


class TokenMapDataset(Dataset):
    def __init__(self, directory: str | Path, seq_len: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, shuffle: bool = True, drop_last: bool = False):
        self.shards = TokenShards(directory, seq_len)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.order.for_epoch(self.epoch))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ex = int(self.order.for_epoch(self.epoch)[i])
        return _pair(self.shards.gather(np.array([ex]))[0])

    def __getitems__(self, idx: list[int]) -> list[dict[str, torch.Tensor]]:
        ids = self.order.for_epoch(self.epoch)[np.asarray(idx, np.int64)]
        block = self.shards.gather(ids)
        return [_pair(row) for row in block]


class TokenIterableDataset(ResumableOrder, IterableDataset):
    """One pass = the rest of the current epoch; the next pass starts the next epoch."""

    def __init__(self, directory: str | Path, seq_len: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, shuffle: bool = True, drop_last: bool = False):
        self.shards = TokenShards(directory, seq_len)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        return len(self.order.for_epoch(self.epoch))

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is not None and info.num_workers > 1:
            raise ValueError("TokenIterableDataset tracks its position in one process: use "
                             "num_workers <= 1 (reading is memory-mapped and cheap)")
        mine = self.order.for_epoch(self.epoch)
        while self.position < len(mine):
            i = self.position
            self.position += 1  # count before yielding: a saved state skips what was handed out
            yield _pair(self.shards.gather(mine[i:i + 1])[0])
        self.epoch, self.position = self.epoch + 1, 0
