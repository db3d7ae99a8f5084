"""Memory-mapped token shards, a seeded per-epoch example order, and a NumPy batch iterator.

Examples: each shard is read as one token stream (documents joined by their separator). An
example is `seq_len + 1` consecutive tokens starting every `seq_len` tokens (inputs are the
first seq_len, targets the last seq_len). Packed shards whose rows are exactly seq_len + 1
tokens are read row by row instead: every row is one example, the last row included. Examples
never cross a shard boundary; in an unpacked shard the tokens after its last whole example are
not used.

Order and sharding: within each curriculum phase, the examples are permuted by (seed, epoch);
phases stay in manifest order. The resulting global order is dealt out round-robin, example i
to rank i % world_size, so every rank moves through the curriculum at the same pace. Every rank
gets the same number of examples, hence of batches: a DDP job whose ranks differ by one batch
hangs at the last collective. As torch's `DistributedSampler` does by default, the epoch's
order is padded to a multiple of world_size by repeating its first examples (fewer than
world_size of them: each served twice that epoch, every other example once); `drop_last=True`
instead drops the order's last `len % world_size` examples (each served at most once). With
world_size 1 neither changes anything: every example exactly once per epoch. State = (epoch,
examples this rank has consumed in the epoch): restoring it resumes exactly where training stopped.
The state also records seq_len and the dataset (`dataset_id`, of the shards' checksums): a state
saved over other examples is refused, not silently resumed at a meaningless position.

Opening checks each shard against the manifest cheaply (token and row counts, row width, dtype:
what the Arrow metadata says, no pass over the tokens), so a shard cut short or a manifest of
another run is a one-line error naming the file; `python -m pipeline validate-shards` re-checks
checksums and ids in depth. The shards are memory-mapped, so the directory must be local: an
object-store URL is refused with what to do instead.
"""
from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa


class TokenShards:
    """The shards of a token dataset, memory-mapped (zero copy) as flat NumPy token arrays."""

    def __init__(self, directory: str | Path, seq_len: int):
        _refuse_url(directory)
        self.directory = Path(directory)
        self.manifest = json.loads((self.directory / "manifest.json").read_text())
        self.seq_len = int(seq_len)
        if self.seq_len < 1:
            raise ValueError("seq_len must be >= 1")
        packed_rows = self.manifest.get("seq_len")
        self.row_aligned = bool(self.manifest.get("packed")) and packed_rows == self.seq_len
        self.stride = self.seq_len + 1 if self.row_aligned else self.seq_len
        tok = self.manifest.get("tokenizer") or {}
        # Ids may have gaps: the largest id, not vocab_size - 1 (a manifest before max_id has vocab_size only).
        self.max_id = max(int(tok.get("max_id", -1)), int(tok.get("vocab_size", 0)) - 1)
        self.dataset_id = hashlib.sha256("".join(r.get("sha256", r["file"]) for r in self.manifest["shards"])
                                         .encode()).hexdigest()[:16]
        self.tokens: list[np.ndarray] = []
        self._dtypes_checked: set[np.dtype] = set()
        counts, phases = [], []
        for rec in self.manifest["shards"]:
            flat = _map_checked(self.directory / rec["file"], rec, self.manifest)
            self.tokens.append(flat)
            counts.append(examples_in(len(flat), self.seq_len, self.row_aligned))
            phases.append(int(rec.get("phase", 0)))
        self.examples_per_shard = np.asarray(counts, np.int64)
        self.first_example = np.concatenate([[0], np.cumsum(self.examples_per_shard)])
        self.shard_phase = np.asarray(phases, np.int64)
        # Tokens after a shard's last whole example are never served: say so when that is a share
        # a researcher would miss (long seq_len over small shards), not silently.
        total = sum(len(t) for t in self.tokens)
        self.unserved_tokens = total - int(sum(n * self.stride + (0 if self.row_aligned or n == 0 else 1)
                                               for n in counts))
        if total and self.unserved_tokens > UNSERVED_WARNING * total:
            warnings.warn(f"{self.directory}: with seq_len {self.seq_len}, {self.unserved_tokens:,} of {total:,} "
                          f"tokens ({self.unserved_tokens / total:.1%}) lie in shard tails shorter than an example "
                          f"and are never served (examples do not cross shards): use larger shards "
                          f"(tokenize shard_bytes) or pack rows of this seq_len (tokenize seq_len)", stacklevel=2)

    def __len__(self) -> int:
        return int(self.first_example[-1])

    def phase_ranges(self) -> list[tuple[int, int]]:
        """[start, end) example ranges of each phase (shards are stored phase by phase)."""
        out = []
        for ph in sorted(set(self.shard_phase.tolist())):
            idx = np.flatnonzero(self.shard_phase == ph)
            out.append((int(self.first_example[idx[0]]), int(self.first_example[idx[-1] + 1])))
        return out

    def locate(self, example: int) -> tuple[int, int]:
        shard = int(np.searchsorted(self.first_example, example, side="right")) - 1
        return shard, int(example - self.first_example[shard]) * self.stride

    def example(self, i: int) -> np.ndarray:
        """seq_len + 1 tokens (a view into the mapped shard)."""
        shard, start = self.locate(i)
        return self.tokens[shard][start:start + self.seq_len + 1]

    def check_dtype(self, dtype) -> None:
        """Refuse an integer type that cannot hold every id (uint16 wraps 70000 to 4464, silently)."""
        dtype = np.dtype(dtype)
        if dtype in self._dtypes_checked:
            return
        if dtype.kind not in "iu" or np.iinfo(dtype).max < self.max_id:
            raise ValueError(f"dtype {dtype} cannot hold this dataset's token ids (up to {self.max_id:,}, "
                             f"manifest tokenizer.max_id): use int32 or int64")
        self._dtypes_checked.add(dtype)

    def gather(self, examples: np.ndarray, dtype=np.int64) -> np.ndarray:
        """(len(examples), seq_len + 1) array of those examples' tokens."""
        self.check_dtype(dtype)
        out = np.empty((len(examples), self.seq_len + 1), dtype)
        shards = np.searchsorted(self.first_example, examples, side="right") - 1
        starts = (examples - self.first_example[shards]) * self.stride
        n = self.seq_len + 1
        for row, (s, a) in enumerate(zip(shards.tolist(), starts.tolist())):
            out[row] = self.tokens[s][a:a + n]
        return out


UNSERVED_WARNING = 0.01   # share of a dataset's tokens in shard tails above which loading warns


def examples_in(n_tokens: int, seq_len: int, row_aligned: bool) -> int:
    """Examples of seq_len + 1 tokens in a shard: whole rows when the shard is packed in rows of
    exactly that size, else windows starting every seq_len tokens (k * seq_len + seq_len + 1 <= n)."""
    if row_aligned:
        return n_tokens // (seq_len + 1)
    return max(0, (n_tokens - 1) // seq_len)


def _refuse_url(directory) -> None:
    """An object-store URL (or one pathlib already mangled to `s3:/bucket`): the shards are
    memory-mapped, which needs local files; say so instead of a FileNotFoundError on a mangled path."""
    text = str(directory)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text):
        url = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]+):/+", r"\1://", text)
        raise ValueError(f"{url}: the loaders memory-map local shards and cannot read an object store; copy "
                         f"the folder first (e.g. `aws s3 sync {url} ./tokens`, or fsspec's get(..., "
                         f"recursive=True)) and pass the local folder")


def _map_checked(path: Path, rec: dict, manifest: dict) -> np.ndarray:
    """The shard's tokens, after a check against its manifest record that reads no token: a shard
    cut short or a manifest of another run fails here, naming the file."""
    try:
        flat, rows, row_width = _map_tokens(path)
    except (OSError, pa.ArrowException) as e:
        raise type(e)(f"{path}: cannot read the Arrow shard ({e}); `python -m pipeline validate-shards "
                      f"{path.parent}` checks every shard against the manifest") from e
    want_width = manifest["seq_len"] + 1 if manifest.get("packed") else None
    problems = [f"{what} {got:,}, manifest says {want:,}" for what, got, want in (
        ("tokens", len(flat), rec["tokens"]), ("rows", rows, rec["sequences"])) if got != want]
    if row_width != want_width:
        layout = {w: f"rows of {w} tokens" if w else "a row per document" for w in (row_width, want_width)}
        problems.append(f"{layout[row_width]}, manifest says {layout[want_width]}")
    if len(flat) and flat.dtype != np.dtype(manifest["dtype"]):
        problems.append(f"ids are {flat.dtype}, manifest says {manifest['dtype']}")
    if problems:
        raise ValueError(f"{path}: {'; '.join(problems)} (a shard cut short, or a manifest of another run?); "
                         f"`python -m pipeline validate-shards {path.parent}` checks every shard in depth")
    return flat


def _map_tokens(path: Path) -> tuple[np.ndarray, int, int | None]:
    """The shard's token ids as one zero-copy array over the memory-mapped file, its number of
    rows, and its row width (None: rows of any length)."""
    reader = pa.ipc.open_stream(pa.memory_map(str(path), "r"))
    col_type = reader.schema.field("input_ids").type
    width = col_type.list_size if isinstance(col_type, pa.FixedSizeListType) else None
    parts, rows = [], 0
    for batch in reader:
        col = batch.column(batch.schema.get_field_index("input_ids"))
        rows += len(col)
        parts.append(col.flatten().to_numpy(zero_copy_only=True))
    if len(parts) == 1:
        return parts[0], rows, width
    flat = np.concatenate(parts) if parts else np.empty(0, col_type.value_type.to_pandas_dtype())
    return flat, rows, width


class ExampleOrder:
    """Which examples a rank reads in an epoch, in order: the same number on every rank
    (padded by repeating the epoch's first examples, or with `drop_last` cut; module doc)."""

    def __init__(self, shards: TokenShards, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True, drop_last: bool = False):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} not in [0, {world_size})")
        self.shards, self.seed, self.rank, self.world_size = shards, seed, rank, world_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self._cache: tuple[int, np.ndarray] | None = None

    def for_epoch(self, epoch: int) -> np.ndarray:
        if self._cache and self._cache[0] == epoch:
            return self._cache[1]
        parts = []
        for ph, (a, b) in enumerate(self.shards.phase_ranges()):
            ids = np.arange(a, b, dtype=np.int64)
            if self.shuffle:
                ids = np.random.default_rng([self.seed & 0xFFFFFFFF, epoch, ph]).permutation(ids)
            parts.append(ids)
        order = np.concatenate(parts) if parts else np.empty(0, np.int64)
        # Equal length on every rank (what DDP needs): drop < world_size examples, or (default, as
        # DistributedSampler) repeat the first ones, cyclically if there are fewer than world_size.
        if self.drop_last:
            order = order[: len(order) // self.world_size * self.world_size]
        elif len(order) % self.world_size:
            order = np.concatenate([order, np.resize(order, -len(order) % self.world_size)])
        mine = order[self.rank::self.world_size]
        self._cache = (epoch, mine)
        return mine


class ResumableOrder:
    """Epoch and position within this rank's examples: all a trainer must save to resume."""
    order: ExampleOrder
    epoch: int = 0
    position: int = 0

    def _identity(self) -> dict:
        """What a state is only valid for: the same examples (seq_len, dataset) in the same order."""
        return {"seed": self.order.seed, "rank": self.order.rank, "world_size": self.order.world_size,
                "seq_len": self.order.shards.seq_len, "dataset": self.order.shards.dataset_id}

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, **self._identity()}

    def load_state_dict(self, state: dict) -> None:
        # seq_len and dataset are absent from a state saved before they were recorded: not checked.
        for k, mine in self._identity().items():
            if k in state and state[k] != mine:
                raise ValueError(f"state was saved with {k}={state[k]}, this loader has {mine}")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


class NumpyBatchIterator(ResumableOrder):
    """Batches of {"inputs", "targets"} (batch, seq_len) int arrays; resumable.

    Endless by default (epoch after epoch, each in its own order); `epochs=n` stops after n.
    A trailing partial batch of an epoch is dropped so every batch has the same shape (jit)."""

    def __init__(self, directory: str | Path, seq_len: int, batch_size: int, seed: int = 0,
                 rank: int = 0, world_size: int = 1, shuffle: bool = True, drop_last: bool = False,
                 epochs: int | None = None, dtype=np.int32):
        self.shards = TokenShards(directory, seq_len)
        self.shards.check_dtype(dtype)
        self.order = ExampleOrder(self.shards, seed, rank, world_size, shuffle, drop_last)
        self.batch_size, self.epochs, self.dtype = batch_size, epochs, dtype
        self.epoch, self.position = 0, 0

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        while True:
            if self.epochs is not None and self.epoch >= self.epochs:
                raise StopIteration
            mine = self.order.for_epoch(self.epoch)
            if self.position + self.batch_size <= len(mine):
                break
            if len(mine) < self.batch_size:     # with or without `epochs`: never an empty iterator
                raise ValueError(f"rank has {len(mine)} examples per epoch, fewer than one batch of "
                                 f"{self.batch_size}")
            self.epoch, self.position = self.epoch + 1, 0
        ids = mine[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        block = self.shards.gather(ids, self.dtype)
        return {"inputs": block[:, :-1], "targets": block[:, 1:]}
