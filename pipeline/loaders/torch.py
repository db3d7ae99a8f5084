"""PyTorch datasets over a token dataset (imports torch; the rest of pipeline.loaders does not).

`TokenMapDataset`: map-style; index i is this rank's i-th example of the current epoch (call
`set_epoch`), so a plain DataLoader with shuffle=False reads the seeded, curriculum-respecting
order. `TokenIterableDataset`: yields this rank's examples (or, with `batch_size`, batches) from where it
stopped and tracks its position: `state_dict()` / `load_state_dict()` resume exactly, also with
several DataLoader workers through `ds.loader(num_workers=k)`. Every rank gets the same number of
examples, so the same number of batches (DDP needs it): like `DistributedSampler`, an epoch's order
is padded by repeating its first examples unless `drop_last=True` (see `ExampleOrder`).

Persistent workers (`persistent_workers=True`) keep the copy of the dataset they were started
with, so a plain attribute set in the main process (the next epoch, a loaded state) never reaches
them. What workers must read lives in a small shared-memory tensor instead: the map dataset's
epoch, and the iterable dataset's (epoch, position) where the next pass starts, which the main
process writes between passes only (a worker starts reading lazily, at its first batch, when the
main process may already be tracking the pass's position).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from pipeline.loaders.numpy_iter import ExampleOrder, ResumableOrder, TokenShards


class _SharedInts:
    """Named ints in shared memory: a DataLoader worker reads what the main process last set,
    also a persistent worker started passes ago (a plain attribute would stay as it was then)."""

    def __init__(self, *names: str):
        self._index = {n: i for i, n in enumerate(names)}
        self._values = torch.zeros(len(names), dtype=torch.int64).share_memory_()

    def get(self, name: str) -> int:
        return int(self._values[self._index[name]])

    def set(self, name: str, value: int) -> None:
        self._values[self._index[name]] = int(value)


def _shared_int(name: str) -> property:
    return property(lambda self: self._shared.get(name), lambda self, v: self._shared.set(name, v))


def _published(name: str) -> property:
    """Main-process state that, when set, is also where the workers' next pass starts."""
    def set_(self, v) -> None:
        setattr(self, f"_{name}", int(v))
        self._pass_start.set(name, int(v))
    return property(lambda self: getattr(self, f"_{name}"), set_)


def _pair(block: np.ndarray) -> dict[str, torch.Tensor]:
    t = torch.from_numpy(block)
    return {"input_ids": t[..., :-1], "labels": t[..., 1:]}


class TokenMapDataset(Dataset):
    def __init__(self, directory: str | Path, seq_len: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, shuffle: bool = True, drop_last: bool = False):
        self.shards = TokenShards(directory, seq_len)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self._shared = _SharedInts("epoch")

    epoch = _shared_int("epoch")  # set_epoch reaches persistent workers too

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
    """One pass = the rest of the current epoch; the next pass starts the next epoch.

    With `batch_size`, the dataset yields whole batches (use a DataLoader with batch_size=None)
    and works with any number of DataLoader workers: worker w of n builds batches w, w + n, ...
    of the epoch's order, and the DataLoader returns them worker by worker in turn, i.e. in the
    same order one process would. Every item carries `epoch` and `position` (examples of the
    epoch handed out once this item is used); `loader(**dataloader_kwargs)` reads them back in
    the main process, so `state_dict()` is exact whatever the number of workers. Without
    `batch_size` it yields single examples, one worker process at most for an exact resume.
    """

    def __init__(self, directory: str | Path, seq_len: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, shuffle: bool = True, drop_last: bool = False,
                 batch_size: int | None = None):
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.shards = TokenShards(directory, seq_len)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self.batch_size = batch_size
        self._pass_start = _SharedInts("epoch", "position")  # what workers read (module doc)
        self.epoch, self.position = 0, 0

    epoch = _published("epoch")
    position = _published("position")

    def _track(self, epoch: int, position: int) -> None:
        """During a pass, in the main process: the state moves on, the running workers' start
        does not (a worker that has not begun yet would skip batches)."""
        self._epoch, self._position = epoch, position

    def _publish(self) -> None:
        """Before a pass: its workers start at the current state, also persistent ones."""
        self._pass_start.set("epoch", self._epoch)
        self._pass_start.set("position", self._position)

    def __len__(self) -> int:
        """Items one pass yields (batches with `batch_size`, else examples)."""
        n = len(self.order.for_epoch(self.epoch))
        return -(-n // self.batch_size) if self.batch_size else n

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if workers > 1 and not self.batch_size:
            raise ValueError("TokenIterableDataset with several DataLoader workers needs batch_size= "
                             "(and a DataLoader with batch_size=None): workers then take turns by batch, "
                             "so the order and the saved position stay exact")
        if info is None:
            epoch, start = self.epoch, self.position
        else:  # this worker's copy of epoch/position may be passes old
            epoch, start = self._pass_start.get("epoch"), self._pass_start.get("position")
        mine = self.order.for_epoch(epoch)
        step = self.batch_size or 1
        for k, a in enumerate(range(start, len(mine), step)):
            if k % workers != worker:
                continue
            ids = mine[a:a + step]
            end = a + len(ids)
            if info is None:
                self._track(epoch, end)  # count before yielding: a saved state skips what was handed out
            block = self.shards.gather(ids)
            item = _pair(block) if self.batch_size else _pair(block[0])
            yield {**item, "epoch": epoch, "position": end}
        if info is None:
            self.epoch, self.position = epoch + 1, 0

    def loader(self, **dataloader_kwargs):
        """A DataLoader over this dataset (any num_workers) that keeps state_dict() exact."""
        return _TrackedLoader(self, dataloader_kwargs)


class _TrackedLoader:
    def __init__(self, ds: TokenIterableDataset, kwargs: dict):
        if not ds.batch_size:
            raise ValueError("loader() needs the dataset's batch_size")
        self.ds, self.loader = ds, DataLoader(ds, batch_size=None, **kwargs)

    def __len__(self) -> int:
        return len(self.ds)

    def __iter__(self):
        ds = self.ds
        ds._publish()  # before the workers start (or, persistent, resume) this pass
        for item in self.loader:
            ds._track(int(item["epoch"]), int(item["position"]))
            yield item
        if ds.position and ds.position >= len(ds.order.for_epoch(ds.epoch)):
            ds.epoch, ds.position = ds.epoch + 1, 0
