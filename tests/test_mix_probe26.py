"""mix (probe 26): repeated picks split across bounded output shards, trial runs of a recipe with a
fixed target, and the shortfall_keeps: tokens warning when every source is short."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pyarrow.compute as pc
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from pipeline.stage import Result
from stages.mix import Mix, MixShortfall, mix_warnings, output_parts
from test_tokenize import chinese, english

TOK = {"vocab_size": 1000, "sample_bytes": 100_000}
SOURCES = {"zh": {"weight": 0.5}, "en": {"weight": 0.5, "max_epochs": 80}}


@pytest.fixture(scope="module")
def repeat_input(shared_data, tmp_path_factory):
    """Shard `a`: 60 Chinese documents; shard `b`: 5 short English ones, which the mix repeats."""
    start_ray(num_cpus=2)
    d = StageDir(tmp_path_factory.mktemp("mixrep"))
    zh = [dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 60))]
    en = [dict(id=f"en{i}", source="en", text=t[:150]) for i, t in enumerate(english(shared_data, 5))]
    for name, docs in (("a", zh), ("b", en)):
        d.write_shard(name, None, Result(documents_table(docs)), 0, 0, docs_in=len(docs))
    return d


def run_mix(out, inp, tasks_per_cpu: int = 2, trial: str | None = None, **opts):
    ctx = GlobalContext("mix", inp, StageDir(out), seed=3, removed_samples=0, tasks_per_cpu=tasks_per_cpu)
    mix = Mix.model_validate({"tokenizer": TOK, **opts})
    (mix.for_trial(trial) if trial else mix).run(ctx)
    return ctx, json.loads((ctx.output_dir / "mix.json").read_text())


def shards_of(d: StageDir) -> dict[str, list[tuple]]:
    return {s: list(zip(*(d.read(s).column(c).to_pylist() for c in ("id", "mix_phase", "mix_epoch", "n_tokens"))))
            for s in d.done_shards()}


def test_repeated_picks_split_into_shards_no_larger_than_the_input_ones(tmp_path, repeat_input):
    # Before: every copy of shard b's picks went into p000-b (5 documents x ~40 epochs in one
    # shard, larger than any input shard: a 256 MB shard at 8 epochs was a 2 GB write and tokenize task).
    _, rep = run_mix(tmp_path / "m", repeat_input, sources=SOURCES)
    assert rep["sources"]["en"]["documents"] > 2 * 60        # the repeats exceed the largest input shard
    out = StageDir(tmp_path / "m")
    max_bytes = max(int(pc.sum(pc.binary_length(repeat_input.read(s).column("text"))).as_py())
                    for s in ("a", "b"))
    names = out.done_shards()
    for s in names:
        t = out.read(s)
        assert t.num_rows <= 60 and (pc.sum(pc.binary_length(t.column("text"))).as_py() or 0) <= max_bytes, s
    b_parts = [s for s in names if s.startswith("p000-b")]
    assert b_parts[0] == "p000-b" and b_parts[1] == "p000-b_0001" and len(b_parts) >= 3
    # read in name order (as tokenize does), the copies keep the mixed order: epoch by epoch,
    # input order within an epoch, every copy once
    rows = [r for s in b_parts for r in shards_of(out)[s]]
    keys = [(e, int(i[2:])) for i, _, e, _ in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == rep["sources"]["en"]["documents"]
    assert sum(n for *_, n in rows) == rep["sources"]["en"]["tokens"]
    # the input shard is accounted once, on its first output shard
    recs = {r.shard: r for r in out.records()}
    assert recs["p000-b"].docs_in == 5 and all(recs[s].docs_in == 0 for s in b_parts[1:])
    assert sum(r.counters.get("repeated_copies", 0) for r in recs.values()) == len(rows) - 5 + \
        rep["sources"]["zh"]["documents"] - len({i for s in names if "-a" in s for i, *_ in shards_of(out)[s]})


def test_split_is_the_same_whatever_the_workers_and_a_rerun_writes_only_missing_shards(tmp_path, repeat_input):
    run_mix(tmp_path / "one", repeat_input, tasks_per_cpu=1, sources=SOURCES)
    run_mix(tmp_path / "many", repeat_input, tasks_per_cpu=4, sources=SOURCES)
    one, many = StageDir(tmp_path / "one"), StageDir(tmp_path / "many")
    assert shards_of(one) == shards_of(many)
    # resume: a shard without its completion record is written again, exactly; one with a record is
    # not touched (a marker left in its file stays)
    want = shards_of(one)
    (one.done / "p000-b_0001.json").unlink()
    one.shard_path("p000-b_0001").unlink()
    marker = one.read("p000-b_0002").slice(0, 1)
    from pipeline.storage import write_parquet_atomic
    write_parquet_atomic(marker, one.shard_path("p000-b_0002"))
    run_mix(tmp_path / "one", repeat_input, sources=SOURCES)
    got = shards_of(one)
    assert got["p000-b_0001"] == want["p000-b_0001"]
    assert one.read("p000-b_0002").num_rows == 1 and sorted(got) == sorted(want)


def test_output_parts_bound_rows_and_bytes():
    assert output_parts(np.array([10] * 7), 3, 1000) == [(0, 3), (3, 6), (6, 7)]
    assert output_parts(np.array([10, 10, 50, 10]), 10, 25) == [(0, 2), (2, 3), (3, 4)]   # a big row alone
    assert output_parts(np.array([], np.int64), 3, 10) == [(0, 0)]     # an empty shard is still written


def test_a_trial_of_a_fixed_target_mixes_what_it_read_and_says_so(tmp_path, repeat_input):
    # Before: a --limit/--sample trial failed "the sources cannot supply ... (lower target_tokens,
    # ...)": advice for the full run, without a word of the trial having read part of the input.
    opts = dict(sources={"zh": {"weight": 0.5}, "en": {"weight": 0.5, "max_epochs": 2}}, target_tokens=50_000)
    with pytest.raises(MixShortfall):
        run_mix(tmp_path / "full", repeat_input, **opts)
    trial = "--limit 60: the first 60 documents of each source"
    _, rep = run_mix(tmp_path / "t", repeat_input, trial=trial, **opts)
    assert rep["trial"] == trial and rep["shortfall"]["trial"] == trial and 0 < rep["tokens"] < 50_000
    (w,) = [w for w in rep["warnings"] if "shortfall" in w or "trial" in w]
    assert w.startswith(f"mix: trial run ({trial}) reads only part of each source")
    assert "the full run is held to its target" in w and "lower target_tokens" not in w
    assert abs(rep["sources"]["en"]["share"] - 0.5) < 0.05      # the recipe's shortfall_keeps: shares


def test_trial_recipe_gives_each_stage_its_trial_copy(tmp_path):
    from pipeline.recipe import parse_recipe
    from pipeline.trial import trial_recipe
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"document {i}"}) + "\n" for i in range(5)))
    recipe = parse_recipe({"name": "t", "output": str(tmp_path / "run"),
                           "sources": [{"name": "s", "format": "jsonl", "paths": str(data), "id_field": "id"}],
                           "stages": [{"stage": "mix", "target_tokens": 1000, "sources": {"s": {"weight": 1}}},
                                      {"stage": "tokenize"}]}, "<test>")
    trial = trial_recipe(recipe, {"s": [str(data)]}, limit=2)
    mix, tok = (spec.stage for spec in trial.stages)
    assert mix.allow_shortfall and mix._trial == "--limit 2: the first 2 documents of each source"
    assert tok is recipe.stages[1].stage                         # a stage without a trial form: itself
    assert not recipe.stages[0].stage.allow_shortfall and recipe.stages[0].stage._trial is None


def test_shortfall_keeps_tokens_says_which_shares_grew_and_which_shrank_when_every_source_is_short():
    # Before: "only the short sources shrank, so the other sources' shares grew: big 0.373 for
    # 0.450, ja 0.050 for 0.090, zh 0.566 for 0.450": big and ja shrank, and every source was short.
    opts = dict(sources={"big": {"weight": 0.45}, "zh": {"weight": 0.45}, "ja": {"weight": 0.10}},
                target_tokens=2_000, allow_shortfall=True, shortfall_keeps="tokens")
    plan = Mix(**opts).plan({"big": 500, "zh": 760, "ja": 50})
    assert set(plan["shortfall"]["sources"]) == {"big", "zh", "ja"}
    got = {s: sum(p[s] for p in plan["planned"]) for s in ("big", "zh", "ja")}
    total = sum(got.values())
    rep = {"tokens": total, "planned_tokens": total, "shortfall": plan["shortfall"],
           "sources": {s: {"tokens": n, "planned_tokens": n, "share": round(n / total, 6),
                           "requested_share": opts["sources"][s]["weight"]} for s, n in got.items()}}
    (w,) = mix_warnings(rep)
    assert "other sources' shares grew" not in w and "only the short sources" not in w
    assert "every source is short and each shrank to what it has" in w
    assert "so the shares moved: grew zh 0.580 for 0.450; shrank big 0.382 for 0.450, ja 0.038 for 0.100" in w


def test_explain_looks_in_a_mix_shards_continuations():
    """A mix shard's later copies go on in `p000-<shard>_0001`; explain's shard lookup knew only
    `p000-<shard>` and missed a document whose copy in a phase is in a continuation."""
    from pipeline.inspect import _of
    names = ["p000-00-00001-0000", "p000-00-00001-0000_0001", "p001-00-00001-0000_0012", "p000-00-00002-0000"]
    assert _of(names, {"00-00001-0000"}) == set(names[:3])
