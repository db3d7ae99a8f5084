"""pipeline.loaders over real token shards: sharding, resume, torch == numpy, a tiny LM learns."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from stages.tokenize import Tokenize, bpe
from test_tokenize import chinese, english, write_input

SEQ = 32


@pytest.fixture(scope="module")
def token_dir(shared_data, tmp_path_factory):
    start_ray(num_cpus=2)
    root = tmp_path_factory.mktemp("loaders")
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 120))]
            + [dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 150))])
    inp = write_input(root / "in", docs, 2)
    ctx = GlobalContext("tokenize", inp, StageDir(root / "tok"), seed=5, removed_samples=0)
    Tokenize(tokenizer=bpe.TokenizerSpec(vocab_size=512, sample_bytes=300_000), shard_bytes=40_000).run(ctx)
    return ctx.output_dir


def test_core_imports_without_torch_or_ray():
    code = ("import sys, pipeline.loaders; "
            "bad = [m for m in ('torch', 'ray', 'jax') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ranks_partition_every_example(token_dir):
    from collections import Counter
    from pipeline.loaders import ExampleOrder, TokenShards
    shards = TokenShards(token_dir, SEQ)
    n = len(shards)
    assert n > 100 and len(shards.tokens) > 2
    seen = np.concatenate([ExampleOrder(shards, seed=1).for_epoch(0)])
    assert sorted(seen.tolist()) == list(range(n))  # one rank: every example exactly once
    ws = next(w for w in (3, 4, 5, 7) if n % w)     # a world size that does not divide the examples
    ranks = [ExampleOrder(shards, seed=1, rank=r, world_size=ws).for_epoch(0) for r in range(ws)]
    assert len({len(m) for m in ranks}) == 1        # same count on every rank (padded)
    seen = Counter(np.concatenate(ranks).tolist())
    assert set(seen) == set(range(n)) and set(seen.values()) == {1, 2}   # no gaps; at most twice
    order = ExampleOrder(shards, seed=1).for_epoch(0)
    assert sorted(k for k, c in seen.items() if c == 2) == sorted(order[:-n % ws].tolist())  # the first ones
    cut = [ExampleOrder(shards, seed=1, rank=r, world_size=ws, drop_last=True).for_epoch(0) for r in range(ws)]
    assert {len(m) for m in cut} == {n // ws}        # drop_last: no overlap, the last n % ws dropped
    assert sorted(np.concatenate(cut).tolist()) == sorted(order[:n - n % ws].tolist())
    e0 = ExampleOrder(shards, seed=1).for_epoch(0)
    assert not np.array_equal(e0, ExampleOrder(shards, seed=1).for_epoch(1))
    assert np.array_equal(e0, ExampleOrder(shards, seed=1).for_epoch(0))
    # an example is seq_len+1 consecutive tokens of a shard; the next starts seq_len later
    a, b = shards.example(0), shards.example(1)
    assert len(a) == SEQ + 1 and a[-1] == b[0]


def test_numpy_iterator_resumes_exactly(token_dir):
    from pipeline.loaders import NumpyBatchIterator
    ref = NumpyBatchIterator(token_dir, SEQ, batch_size=8, seed=2, rank=1, world_size=2)
    per_epoch = len(ref.order.for_epoch(0)) // 8
    batches = [next(ref) for _ in range(per_epoch + 5)]  # crosses an epoch boundary
    assert ref.epoch == 1
    it = NumpyBatchIterator(token_dir, SEQ, batch_size=8, seed=2, rank=1, world_size=2)
    for _ in range(per_epoch - 3):
        next(it)
    state = it.state_dict()
    resumed = NumpyBatchIterator(token_dir, SEQ, batch_size=8, seed=2, rank=1, world_size=2)
    resumed.load_state_dict(state)
    for want in batches[per_epoch - 3:]:
        got = next(resumed)
        assert np.array_equal(got["inputs"], want["inputs"]) and np.array_equal(got["targets"], want["targets"])
    b = batches[0]
    assert b["inputs"].shape == (8, SEQ) and np.array_equal(b["inputs"][:, 1:], b["targets"][:, :-1])


def test_torch_loaders_match_numpy_and_resume(token_dir):
    import torch
    from torch.utils.data import DataLoader
    from pipeline.loaders import NumpyBatchIterator
    from pipeline.loaders.torch import TokenIterableDataset, TokenMapDataset
    np_batches = NumpyBatchIterator(token_dir, SEQ, batch_size=4, seed=9, epochs=1)
    ds = TokenIterableDataset(token_dir, SEQ, seed=9)
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    it = iter(loader)
    for k in range(5):
        t, n = next(it), next(np_batches)
        assert torch.equal(t["input_ids"], torch.from_numpy(n["inputs"]).long())
        assert torch.equal(t["labels"], torch.from_numpy(n["targets"]).long())
    state = ds.state_dict()
    assert state["position"] == 20
    nxt = next(it)
    ds2 = TokenIterableDataset(token_dir, SEQ, seed=9)
    ds2.load_state_dict(state)
    assert torch.equal(next(iter(DataLoader(ds2, batch_size=4)))["input_ids"], nxt["input_ids"])
    mds = TokenMapDataset(token_dir, SEQ, seed=9)
    first = next(iter(DataLoader(mds, batch_size=4, shuffle=False)))
    assert torch.equal(first["input_ids"], torch.from_numpy(
        NumpyBatchIterator(token_dir, SEQ, batch_size=4, seed=9).__next__()["inputs"]).long())


@pytest.mark.parametrize("drop_last", [False, True])
def test_every_rank_gets_the_same_number_of_batches(token_dir, drop_last):
    """DDP hangs at the last collective when one rank has a batch more: with the default
    drop_last=False the ranks differed by one example (so by a batch) when world_size did not
    divide the examples; now the order is padded as torch's DistributedSampler pads it."""
    from torch.utils.data import DataLoader, DistributedSampler
    from pipeline.loaders import NumpyBatchIterator, TokenShards
    from pipeline.loaders.torch import TokenIterableDataset, TokenMapDataset
    n = len(TokenShards(token_dir, SEQ))
    ws = next(w for w in (2, 3, 4, 5, 7) if n % w)
    kw = dict(seed=4, world_size=ws, drop_last=drop_last)
    for batch in (1, 3):
        maps = [len(DataLoader(TokenMapDataset(token_dir, SEQ, rank=r, **kw), batch_size=batch)) for r in range(ws)]
        its = [len(TokenIterableDataset(token_dir, SEQ, rank=r, batch_size=batch, **kw)) for r in range(ws)]
        nps = [sum(1 for _ in NumpyBatchIterator(token_dir, SEQ, batch, rank=r, epochs=2, **kw)) for r in range(ws)]
        assert len(set(maps)) == 1 and maps == its, (maps, its)
        assert len(set(nps)) == 1, nps
        if not drop_last:       # the same count as DistributedSampler's default (padding)
            ref = [len(DataLoader(range(n), batch_size=batch, sampler=DistributedSampler(
                range(n), num_replicas=ws, rank=r, shuffle=False))) for r in range(ws)]
            assert maps == ref
    # what the batches hold: iterated, not only counted
    got = [sum(len(b["input_ids"]) for b in TokenIterableDataset(token_dir, SEQ, rank=r, batch_size=16, **kw).loader())
           for r in range(ws)]
    assert got == [-(-n // ws) if not drop_last else n // ws] * ws


def test_tiny_torch_lm_loss_falls(token_dir):
    import torch
    from torch.utils.data import DataLoader
    from pipeline.loaders.torch import TokenIterableDataset
    torch.manual_seed(0)
    vocab = 512
    model = torch.nn.Sequential(torch.nn.Embedding(vocab, 64), torch.nn.Linear(64, 64), torch.nn.GELU(),
                                torch.nn.Linear(64, vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    data = iter(DataLoader(TokenIterableDataset(token_dir, SEQ, seed=0), batch_size=16))
    for _ in range(40):
        b = next(data)
        logits = model(b["input_ids"])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), b["labels"].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5, losses


# -- packed shards: every row exactly once, across ranks and DataLoader workers (#18) ---------------
@pytest.fixture(scope="module")
def packed_dir(shared_data, tmp_path_factory):
    start_ray(num_cpus=2)
    root = tmp_path_factory.mktemp("packed")
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 60))]
            + [dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 80))])
    inp = write_input(root / "in", docs, 2)
    ctx = GlobalContext("tokenize", inp, StageDir(root / "tok"), seed=4, removed_samples=0)
    Tokenize(tokenizer=bpe.TokenizerSpec(vocab_size=512, sample_bytes=200_000), seq_len=SEQ,
             shard_bytes=20_000).run(ctx)
    return ctx.output_dir


def _all_rows(directory) -> list[tuple]:
    """Every packed row of every shard, read straight from the Arrow files."""
    import json as _json
    import pyarrow as pa
    rows = []
    for rec in _json.loads((directory / "manifest.json").read_text())["shards"]:
        for batch in pa.ipc.open_stream(pa.memory_map(str(directory / rec["file"]), "r")):
            rows += [tuple(r) for r in batch.column("input_ids").to_pylist()]
    return rows


def _rows_of(batch) -> list[tuple]:
    import torch
    full = torch.cat([batch["input_ids"], batch["labels"][:, -1:]], dim=1)
    return [tuple(r) for r in full.tolist()]


def test_packed_rows_each_served_once_across_ranks_and_workers(packed_dir):
    from collections import Counter
    from pipeline.loaders import TokenShards
    from pipeline.loaders.torch import TokenIterableDataset
    rows = _all_rows(packed_dir)
    shards = TokenShards(packed_dir, SEQ)
    assert shards.row_aligned and len(shards.tokens) > 2
    assert len(shards) == len(rows)           # the last row of each shard counts too
    served = []
    for workers in (0, 2):                    # one rank: every row exactly once
        ds = TokenIterableDataset(packed_dir, SEQ, seed=3, batch_size=5)
        served = [r for batch in ds.loader(num_workers=workers) for r in _rows_of(batch)]
        assert Counter(served) == Counter(rows)
    ws = next(w for w in (2, 3, 4, 7) if len(rows) % w)   # ranks: each row at least once, at most twice
    served, batches = Counter(), []
    for rank in range(ws):
        ds = TokenIterableDataset(packed_dir, SEQ, seed=3, rank=rank, world_size=ws, batch_size=5)
        got = [_rows_of(batch) for batch in ds.loader(num_workers=2)]
        batches.append(len(got))
        served.update(r for b in got for r in b)
    assert len(set(batches)) == 1
    want = Counter(rows)
    assert set(served) == set(want) and all(want[r] <= served[r] <= 2 * want[r] for r in want)
    assert sum(served.values()) - len(rows) == -len(rows) % ws


def test_several_workers_keep_the_order_and_resume_exactly(packed_dir):
    import torch
    from pipeline.loaders.torch import TokenIterableDataset
    ref = [_rows_of(b) for b in TokenIterableDataset(packed_dir, SEQ, seed=8, batch_size=4).loader()]
    ds = TokenIterableDataset(packed_dir, SEQ, seed=8, batch_size=4)
    it = iter(ds.loader(num_workers=2))
    got = [_rows_of(next(it)) for _ in range(7)]
    assert got == ref[:7]                      # workers take turns: the single-process order
    state = ds.state_dict()
    assert {k: state[k] for k in ("epoch", "position", "seed", "rank", "world_size")} == \
        {"epoch": 0, "position": 28, "seed": 8, "rank": 0, "world_size": 1}
    assert state["seq_len"] == 32 and state["dataset"]        # a state fits only the dataset it came from
    del it
    again = TokenIterableDataset(packed_dir, SEQ, seed=8, batch_size=4)
    again.load_state_dict(state)
    rest = [_rows_of(b) for b in again.loader(num_workers=1)]
    assert rest == ref[7:]
    assert again.state_dict()["epoch"] == 1 and again.state_dict()["position"] == 0
    with pytest.raises(ValueError, match="needs batch_size"):
        next(iter(torch.utils.data.DataLoader(TokenIterableDataset(packed_dir, SEQ), num_workers=2)))


@pytest.mark.last
def test_jax_jitted_step_on_numpy_batches(token_dir):
    import jax
    import jax.numpy as jnp
    from pipeline.loaders import NumpyBatchIterator
    vocab, dim = 512, 32
    key = jax.random.PRNGKey(0)
    params = {"emb": jax.random.normal(key, (vocab, dim)) * 0.1, "out": jnp.zeros((dim, vocab))}

    def loss_fn(p, x, y):
        logits = p["emb"][x] @ p["out"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[..., None], -1))

    @jax.jit
    def step(p, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        return jax.tree_util.tree_map(lambda a, b: a - 0.5 * b, p, g), loss

    batches = NumpyBatchIterator(token_dir, SEQ, batch_size=8, seed=0)
    b = next(batches)
    params, loss0 = step(params, b["inputs"], b["targets"])
    _, loss1 = step(params, b["inputs"], b["targets"])
    assert np.isclose(float(loss0), np.log(vocab), atol=1e-3) and float(loss1) < float(loss0)


def test_persistent_workers_serve_the_next_epoch_and_resume(packed_dir):
    from pipeline.loaders.torch import TokenIterableDataset
    single = TokenIterableDataset(packed_dir, SEQ, seed=6, batch_size=4).loader()
    ref0, ref1 = [_rows_of(b) for b in single], [_rows_of(b) for b in single]
    assert ref0 != ref1
    ds = TokenIterableDataset(packed_dir, SEQ, seed=6, batch_size=4)
    ld = ds.loader(num_workers=2, persistent_workers=True)
    assert [_rows_of(b) for b in ld] == ref0
    assert ds.state_dict()["epoch"] == 1
    assert [_rows_of(b) for b in ld] == ref1  # the same (persistent) workers, the next epoch
    assert ds.epoch == 2 and ds.position == 0
    # Stop mid-epoch: the next pass of the same loader, and a fresh one from the saved state,
    # both continue where the trainer stopped.
    ds = TokenIterableDataset(packed_dir, SEQ, seed=6, batch_size=4)
    ld = ds.loader(num_workers=2, persistent_workers=True)
    it = iter(ld)
    assert [_rows_of(next(it)) for _ in range(5)] == ref0[:5]
    state = ds.state_dict()
    assert state["epoch"] == 0 and state["position"] == 20
    assert [_rows_of(b) for b in ld] == ref0[5:]
    assert [_rows_of(b) for b in ld] == ref1
    again = TokenIterableDataset(packed_dir, SEQ, seed=6, batch_size=4)
    again.load_state_dict(state)
    ld = again.loader(num_workers=2, persistent_workers=True)
    assert [_rows_of(b) for b in ld] + [_rows_of(b) for b in ld] == ref0[5:] + ref1


def test_map_dataset_set_epoch_reaches_persistent_workers(packed_dir):
    from torch.utils.data import DataLoader
    from pipeline.loaders import ExampleOrder
    from pipeline.loaders.torch import TokenMapDataset
    md = TokenMapDataset(packed_dir, SEQ, seed=6)
    ld = DataLoader(md, batch_size=4, shuffle=False, num_workers=2, persistent_workers=True)
    for epoch in range(2):
        md.set_epoch(epoch)
        rows = [r for b in ld for r in _rows_of(b)]
        want = md.shards.gather(ExampleOrder(md.shards, 6).for_epoch(epoch))
        assert rows == [tuple(r) for r in want.tolist()]


def test_tokens_left_in_shard_tails_are_counted_and_warned_about(token_dir):
    import warnings as w
    from pipeline.loaders.numpy_iter import TokenShards
    total = sum(r["tokens"] for r in json.loads((token_dir / "manifest.json").read_text())["shards"])
    with w.catch_warnings():
        w.simplefilter("error")                       # the usual case: a few tokens a shard, no warning
        small = TokenShards(token_dir, 16)
    assert 0 <= small.unserved_tokens < 0.01 * total
    with pytest.warns(UserWarning, match=r"lie in shard tails shorter than an example and are never served"):
        big = TokenShards(token_dir, 4000)
    served = sum(int(n) for n in big.examples_per_shard) * 4000 + sum(1 for n in big.examples_per_shard if n)
    assert big.unserved_tokens == total - served > 0.01 * total


def test_numpy_iterator_with_epochs_and_fewer_examples_than_a_batch_is_an_error(token_dir):
    """With `epochs`, a rank holding fewer examples than one batch yielded nothing, silently."""
    from pipeline.loaders import NumpyBatchIterator
    n = len(NumpyBatchIterator(token_dir, SEQ, batch_size=1, shuffle=False).order.for_epoch(0))
    for epochs in (None, 3):
        with pytest.raises(ValueError, match=f"rank has {n} examples per epoch, fewer than one batch"):
            next(NumpyBatchIterator(token_dir, SEQ, batch_size=n + 1, epochs=epochs))
    assert len(list(NumpyBatchIterator(token_dir, SEQ, batch_size=n, epochs=2))) == 2
