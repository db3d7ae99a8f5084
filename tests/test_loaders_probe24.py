"""Loaders as a training job uses them (probe 24): a plain DataLoader with workers moves epoch by
epoch; len after a resume; shards checked against the manifest at open; a dtype too small for the
ids and a state of another seq_len refused; an object-store URL refused with what to do; packing's
cut documents counted as cut, not as lost."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pytest

from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from stages.tokenize import Tokenize, bpe
from test_loaders import token_dir  # noqa: F401  (fixture: an unpacked dataset of another run)
from test_tokenize import chinese, english, write_input

SEQ = 32


@pytest.fixture(scope="module")
def bos_packed(shared_data, tmp_path_factory):
    """Packed rows of SEQ + 1 tokens, every document starting with <s>: one phase, whose last
    document runs into the dropped partial row."""
    start_ray(num_cpus=2)
    root = tmp_path_factory.mktemp("bos_packed")
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 40))]
            + [dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 90))])
    inp = write_input(root / "in", docs, 2)
    ctx = GlobalContext("tokenize", inp, StageDir(root / "tok"), seed=4, removed_samples=0)
    spec = bpe.TokenizerSpec(vocab_size=512, sample_bytes=200_000, special_tokens=["<|endoftext|>", "<s>"])
    Tokenize(tokenizer=spec, seq_len=SEQ, shard_bytes=20_000, bos_token="<s>").run(ctx)
    return ctx


def _rows(batch) -> list[tuple]:
    import torch
    return [tuple(r) for r in torch.cat([batch["input_ids"], batch["labels"][:, -1:]], 1).tolist()]


# -- 1. a plain DataLoader with workers reads the next epoch each pass -------------------------------
@pytest.mark.parametrize("workers,persistent", [(0, False), (2, False), (2, True)])
def test_plain_dataloader_reads_the_next_epoch_each_pass(bos_packed, workers, persistent):
    """With workers, every pass replayed epoch 0 and state_dict() stayed at {'epoch': 0, 'position': 0}."""
    from torch.utils.data import DataLoader
    from pipeline.loaders.torch import TokenIterableDataset
    out = bos_packed.output_dir
    ref_ds = TokenIterableDataset(out, SEQ, seed=3, batch_size=4)
    ref = [[r for b in ref_ds.loader() for r in _rows(b)] for _ in range(3)]
    assert ref[0] != ref[1] != ref[2]
    ds = TokenIterableDataset(out, SEQ, seed=3, batch_size=4)
    dl = DataLoader(ds, batch_size=None, num_workers=workers, persistent_workers=persistent)
    for epoch in range(3):
        assert [r for b in dl for r in _rows(b)] == ref[epoch], epoch
    if workers:     # no exact state exists: said, not a stale {'epoch': 0, 'position': 0}
        with pytest.raises(ValueError, match=r"read it through ds\.loader\("):
            ds.state_dict()
    else:
        assert ds.state_dict()["epoch"] == 3 and ds.state_dict()["position"] == 0


# -- 2. len() after a resume is what the pass yields -------------------------------------------------
def test_len_after_a_resume_counts_what_the_pass_yields(bos_packed):
    """Resumed mid-epoch, len() was the whole epoch's batch count."""
    from pipeline.loaders.torch import TokenIterableDataset
    out = bos_packed.output_dir
    ds = TokenIterableDataset(out, SEQ, seed=2, batch_size=4)
    it = iter(ds.loader())
    for _ in range(3):
        next(it)
    state = ds.state_dict()
    again = TokenIterableDataset(out, SEQ, seed=2, batch_size=4)
    again.load_state_dict(state)
    n = len(again)
    assert n == sum(1 for _ in again.loader()) < len(TokenIterableDataset(out, SEQ, seed=2, batch_size=4))


# -- 3. shards checked against the manifest at open -------------------------------------------------
def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst, json.loads((dst / "manifest.json").read_text())


def test_a_shard_cut_in_half_names_its_file(bos_packed, tmp_path):
    """The Arrow error (OSError: 'Expected to be able to read ... bytes') named no file."""
    from pipeline.loaders import TokenShards
    d, m = _copy(bos_packed.output_dir, tmp_path / "d")
    name = m["shards"][1]["file"]
    data = (d / name).read_bytes()
    (d / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=rf"{name}.*validate-shards"):
        TokenShards(d, SEQ)


def test_a_shard_cut_after_its_schema_is_refused(bos_packed, tmp_path):
    """A shard holding only its schema loaded silently, its tokens missing."""
    from pipeline.loaders import TokenShards
    d, m = _copy(bos_packed.output_dir, tmp_path / "d")
    rec = m["shards"][0]
    schema = pa.ipc.open_stream(pa.memory_map(str(d / rec["file"]))).schema
    with pa.OSFile(str(d / rec["file"]), "wb") as f, pa.ipc.new_stream(f, schema):
        pass
    with pytest.raises(ValueError, match=rf"{rec['file']}: tokens 0, manifest says {rec['tokens']:,}.*validate-shards"):
        TokenShards(d, SEQ)


def test_a_manifest_of_another_run_is_refused(bos_packed, token_dir, tmp_path):  # noqa: F811
    """Another run's manifest over these shards loaded silently (tokens ignored, wrong striding)."""
    from pipeline.loaders import TokenShards
    d, _ = _copy(bos_packed.output_dir, tmp_path / "d")
    other = json.loads((token_dir / "manifest.json").read_text())
    for i, rec in enumerate(other["shards"]):       # the names this directory has, the other run's counts
        rec["file"] = f"tokens-p000-{i % len(list(d.glob('tokens-*.arrow'))):05d}.arrow"
    (d / "manifest.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match=r"tokens-p000-00000\.arrow: .*manifest says"):
        TokenShards(d, SEQ)


# -- 4. a dtype that cannot hold the ids; a state of another seq_len ---------------------------------
def test_a_dtype_too_small_for_the_ids_is_refused(bos_packed):
    """uint8 over a 512-token vocabulary wrapped ids silently."""
    from pipeline.loaders import NumpyBatchIterator, TokenShards
    with pytest.raises(ValueError, match=r"dtype uint8 cannot hold this dataset's token ids \(up to 5\d\d"):
        NumpyBatchIterator(bos_packed.output_dir, SEQ, batch_size=4, dtype=np.uint8)
    with pytest.raises(ValueError, match="dtype uint8 cannot hold"):
        TokenShards(bos_packed.output_dir, SEQ).gather(np.arange(2), np.uint8)
    assert next(NumpyBatchIterator(bos_packed.output_dir, SEQ, batch_size=4, dtype=np.uint16))["inputs"].max() > 255


def test_a_state_of_another_seq_len_is_refused(bos_packed):
    """A state saved at seq_len 32 resumed a seq_len 16 iterator at a meaningless position."""
    from pipeline.loaders import NumpyBatchIterator
    it = NumpyBatchIterator(bos_packed.output_dir, SEQ, batch_size=4)
    next(it)
    state = it.state_dict()
    assert state["seq_len"] == SEQ
    with pytest.raises(ValueError, match=f"state was saved with seq_len={SEQ}, this loader has 16"):
        NumpyBatchIterator(bos_packed.output_dir, 16, batch_size=4).load_state_dict(state)


# -- 5. an object-store URL ---------------------------------------------------------------------------
def test_an_object_store_url_says_to_copy_the_folder():
    """Path() made s3://bucket/... into s3:/bucket/... and the error was a FileNotFoundError on that."""
    from pipeline.loaders import NumpyBatchIterator
    url = "s3://bucket/run/stages/06-tokenize-0123/output"
    with pytest.raises(ValueError, match=rf"^{url}: the loaders memory-map local shards.*aws s3 sync {url}"):
        NumpyBatchIterator(url, SEQ, batch_size=4)


# -- 6. packing: a document cut by the dropped last row is counted as cut, not as lost ---------------
def test_packing_counts_cut_documents_as_cut(bos_packed):
    """The run said '1 document(s) wholly in it' of a document still in the data (its <s> and
    opening tokens); the manifest's documents left it out with no other count saying where it went."""
    out = bos_packed.output_dir
    m = json.loads((out / "manifest.json").read_text())
    tok, t = m["tokenizer"], m["totals"]
    stream = np.concatenate([pa.ipc.open_stream(pa.memory_map(str(out / r["file"]))).read_all()
                             .column("input_ids").combine_chunks().flatten().to_numpy() for r in m["shards"]])
    starts, ends = int((stream == tok["bos_id"]).sum()), int((stream == tok["eos_id"]).sum())
    assert t["tokens_dropped_packing"] > 0 and stream[-1] != tok["eos_id"]   # the last document is cut
    assert t["documents"] == ends and t["documents_cut_packing"] == starts - ends == 1
    assert t["documents_dropped_packing"] == t["documents_in"] - t["empty_documents"] - starts == 0
    assert sum(r["documents_cut"] for r in m["sources"].values()) == 1
    assert sum(r["documents"] for r in m["sources"].values()) == t["documents"]
    warning = [w for w in bos_packed.info["tokenize"]["warnings"] if "packing dropped" in w]
    assert warning == [f"tokenize: packing dropped the last partial row of each phase: "
                       f"{t['tokens_dropped_packing']:,} tokens; 1 document(s) cut there (kept without their end) "
                       f"(manifest totals documents_cut_packing, documents_dropped_packing)"]
    from stages.tokenize.manifest import validate
    assert validate(out) == []
