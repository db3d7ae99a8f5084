"""PyTorch datasets over a token dataset (imports torch; the rest of pipeline.loaders does not).

`TokenMapDataset`: map-style; index i is this rank's i-th example of the current epoch (call
`set_epoch`), so a plain DataLoader with shuffle=False reads the seeded, curriculum-respecting
order. `TokenIterableDataset`: yields this rank's examples (or, with `batch_size`, batches) from where it
stopped. Every rank gets the same number of examples, so the same number of batches (DDP needs it):
like `DistributedSampler`, an epoch's order is padded by repeating its first examples unless
`drop_last=True` (see `ExampleOrder`).

Reading a TokenIterableDataset, what works:
- `ds.loader(num_workers=k, ...)` (any k, persistent workers too): each pass continues where the
  last one stopped (the rest of the epoch, then the next epoch) and `state_dict()` is exact.
- a plain `DataLoader(ds, batch_size=None)` with num_workers=0: the same.
- a plain DataLoader with workers (what accelerate or Lightning build): each pass reads the next
  epoch (the first pass from the loaded state), also a pass broken off early, but `state_dict()`
  raises: workers read ahead of what the trainer took, and only `ds.loader(...)` sees which batch
  it took. `set_epoch(e)` (accelerate calls it) makes the next pass read epoch e.

Persistent workers (`persistent_workers=True`) keep the copy of the dataset they were started
with, so a plain attribute set in the main process (the next epoch, a loaded state) never reaches
them. What workers must read lives in a small shared-memory tensor instead: the map dataset's
epoch; the iterable dataset's (epoch, position) where the next pass starts, which the main
process writes between passes only, and per worker the passes it started since then. A plain
DataLoader calls no code of the dataset in the main process when a pass starts, but every pass
calls `iter(dataset)` once in each worker (a fresh worker, or a persistent one resumed): the k-th
pass a worker starts since the state was set reads epoch + k.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from pipeline.loaders.numpy_iter import ExampleOrder, ResumableOrder, TokenShards


MAX_WORKERS = 256   # DataLoader workers of one TokenIterableDataset (a shared pass counter each)


class _SharedInts:
    """Named ints in shared memory: a DataLoader worker reads what the main process last set,
    also a persistent worker started passes ago (a plain attribute would stay as it was then)."""

    def __init__(self, *names: str, slots: int = 0):
        self._index = {n: i for i, n in enumerate(names)}
        self._values = torch.zeros(len(names) + slots, dtype=torch.int64).share_memory_()
        self._slots = len(names)

    def slots(self) -> torch.Tensor:
        return self._values[self._slots:]

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
        self._pass_start.slots().zero_()  # the workers' passes count from this state
        self._tracked_passes = 0
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
    `batch_size` it yields single examples, one worker process at most.

    A plain `DataLoader(ds, batch_size=None, num_workers=k)` with k > 0 reads epoch after epoch
    too (each pass the next epoch, module doc), but `state_dict()` then raises: only
    `ds.loader(...)` (or num_workers=0) knows which batches the trainer took.
    """

    def __init__(self, directory: str | Path, seq_len: int, seed: int = 0, rank: int = 0,
                 world_size: int = 1, shuffle: bool = True, drop_last: bool = False,
                 batch_size: int | None = None):
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.shards = TokenShards(directory, seq_len)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self.batch_size = batch_size
        # What workers read (module doc): where the next pass starts, and per worker the passes it
        # started since; `_tracked_passes` of those the main process followed item by item.
        self._pass_start = _SharedInts("epoch", "position", slots=MAX_WORKERS)
        self._tracked_passes = 0
        self.epoch, self.position = 0, 0

    epoch = _published("epoch")
    position = _published("position")

    def _track(self, epoch: int, position: int) -> None:
        """During a pass, in the main process: the state moves on, the running workers' start
        does not (a worker that has not begun yet would skip batches)."""
        self._epoch, self._position = epoch, position

    def _publish(self, tracked_passes: int = 0) -> None:
        """Before a pass: its workers start at the current state, also persistent ones."""
        self._pass_start.set("epoch", self._epoch)
        self._pass_start.set("position", self._position)
        self._pass_start.slots().zero_()
        self._tracked_passes = tracked_passes

    def _untracked_passes(self) -> int:
        """Passes plain DataLoader workers started that the main process did not follow."""
        return max(0, int(self._pass_start.slots().max()) - self._tracked_passes)

    def _next_pass(self) -> tuple[int, int]:
        """(epoch, position) where the next pass starts, in the main process."""
        if self._untracked_passes():
            return self._pass_start.get("epoch") + int(self._pass_start.slots().max()), 0
        return self._epoch, self._position

    def set_epoch(self, epoch: int) -> None:
        """The next pass reads epoch `epoch`: from the loaded position if that is the state's
        epoch, else from its start (accelerate calls this before each epoch)."""
        epoch_now, position = self._next_pass()
        self.epoch, self.position = epoch, position if epoch == epoch_now else 0

    def state_dict(self) -> dict:
        if self._untracked_passes():
            raise ValueError("TokenIterableDataset.state_dict(): a plain DataLoader with workers read this "
                             "dataset, and its workers read ahead of what the trainer took, so no exact state "
                             "exists; read it through ds.loader(num_workers=..., ...) (a DataLoader that keeps "
                             "state_dict() exact) or with num_workers=0")
        return super().state_dict()

    def __len__(self) -> int:
        """Items the next pass yields (batches with `batch_size`, else examples): the rest of the epoch."""
        epoch, start = self._next_pass()
        n = max(0, len(self.order.for_epoch(epoch)) - start)
        return -(-n // self.batch_size) if self.batch_size else n

    def __iter__(self):
        """Not a generator: the pass's start is fixed when the DataLoader (or its worker) calls
        iter(), before any item is asked for (a worker's pass counter must move once per pass)."""
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if workers > 1 and not self.batch_size:
            raise ValueError("TokenIterableDataset with several DataLoader workers needs batch_size= "
                             "(and a DataLoader with batch_size=None): workers then take turns by batch, "
                             "so the order and the saved position stay exact")
        if info is None:
            epoch, start = self._next_pass()
            self.epoch, self.position = epoch, start  # also after a plain DataLoader's worker passes
        else:  # this worker's copy of epoch/position may be passes old: read the shared ones
            if worker >= MAX_WORKERS:
                raise ValueError(f"TokenIterableDataset reads with at most {MAX_WORKERS} DataLoader workers")
            slot = self._pass_start.slots()
            k = int(slot[worker])
            slot[worker] = k + 1
            epoch = self._pass_start.get("epoch") + k
            start = self._pass_start.get("position") if k == 0 else 0
        return self._items(info, worker, workers, epoch, start)

    def _items(self, info, worker: int, workers: int, epoch: int, start: int):
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
        epoch, position = ds._next_pass()   # after passes of a plain DataLoader, where they left it
        ds._track(epoch, position)
        ds._publish(tracked_passes=1)  # before the workers start (or, persistent, resume) this pass
        for item in self.loader:
            ds._track(int(item["epoch"]), int(item["position"]))
            yield item
        if ds.position and ds.position >= len(ds.order.for_epoch(ds.epoch)):
            ds.epoch, ds.position = ds.epoch + 1, 0
