"""`apply_to` on a stage entry: one recipe, a cleaning chain per source."""
import pyarrow as pa
import pytest

from pipeline.recipe import RecipeError, parse_recipe

SOURCES = [{"name": "web", "format": "jsonl", "paths": ["x"]}, {"name": "code", "format": "jsonl", "paths": ["y"]}]


def recipe(*stages):
    return parse_recipe({"name": "t", "output": "/tmp/unused", "sources": SOURCES, "stages": list(stages)})


def test_only_the_named_sources_go_through_the_stage():
    r = recipe({"stage": "gopher_quality", "apply_to": ["web"]})
    stage = r.stages[0].stage.model_copy()
    short = "x = 1"
    t = pa.table({"id": ["w1", "c1", "w2"], "source": ["web", "code", "web"], "text": [short, short, short],
                  "language": ["en"] * 3})
    res = stage(t)
    # Both web documents are judged (and removed); the code document passes untouched.
    assert sorted(res.removed.column("id").to_pylist()) == ["w1", "w2"]
    assert res.kept.column("id").to_pylist() == ["c1"]
    assert res.kept.column("text").to_pylist() == [short]
    # Without apply_to the same stage removes the code document too.
    res_all = recipe({"stage": "gopher_quality"}).stages[0].stage.model_copy()(t)
    assert res_all.kept.num_rows == 0


def test_apply_to_is_part_of_the_recipe_hash():
    assert recipe({"stage": "gopher_quality", "apply_to": "web"}).hash() != recipe({"stage": "gopher_quality"}).hash()


def test_apply_to_errors_are_found_at_load():
    with pytest.raises(RecipeError, match=r"stages\[0\] \(gopher_quality\)\.apply_to: no source named 'books'"):
        recipe({"stage": "gopher_quality", "apply_to": ["books"]})
    with pytest.raises(RecipeError, match=r"stages\[0\]\.apply_to: 'exact_dedup' is a global stage"):
        recipe({"stage": "exact_dedup", "apply_to": ["web"]})
    with pytest.raises(RecipeError, match=r"apply_to: expected a list of source names"):
        recipe({"stage": "gopher_quality", "apply_to": [1]})


def test_explain_says_a_stage_passed_a_source_through(tmp_path, ray_local):
    import json

    from pipeline.inspect import explain
    from pipeline.runner import Runner
    words = "the quick brown fox jumps over the lazy dog and keeps running. " * 20
    for name in ("web", "code"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": "a", "text": words}) + "\n")
    r = parse_recipe({"name": "t", "output": str(tmp_path / "run"), "stages": [
        {"stage": "gopher_quality", "apply_to": ["web"]}],
        "sources": [{"name": n, "format": "jsonl", "paths": [str(tmp_path / f"{n}.jsonl")], "id_field": "id"}
                    for n in ("web", "code")]})
    Runner(r, quiet=True).run()
    assert "[01 gopher_quality] passed through: the stage applies to web only" in explain(tmp_path / "run", "code/a")
    assert "[01 gopher_quality] kept" in explain(tmp_path / "run", "web/a")
