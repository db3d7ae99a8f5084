"""Mistakes a stage author or recipe writer makes that ran to exit 0 with documents lost or nothing
delivered (probe 24 of the Python API): each is now a one-line error, or a warning of the run."""
from __future__ import annotations

import pyarrow as pa
import pytest

from pipeline.recipe import load_recipe
from pipeline.stage import Filter, Judgement, Result, Stage, StageError
from pipeline.stats import stage_warnings
from stages.mix import Mix
from test_recipe_load_errors import load_error, recipe


def docs(n: int = 6) -> pa.Table:
    return pa.table({"id": [f"a/{i}" for i in range(n)], "source": ["a"] * n,
                     "text": [f"document number {i} " * (i + 1) for i in range(n)]})


class Halve(Stage):
    def process(self, batch):
        return batch.slice(0, batch.num_rows // 2)


class DropsId(Stage):
    def process(self, batch):
        return batch.drop_columns(["id"])


class EmptyTable(Stage):
    def process(self, batch):
        return pa.table({})


class Chunker(Stage):
    """Two chunks per document, both with the document's id."""
    def process(self, batch):
        return pa.concat_tables([batch, batch])


class SplitsHalf(Stage):
    def process(self, batch):
        return Result.split(batch, [None if i % 2 else "odd" for i in range(batch.num_rows)])


class EmptyKeep(Filter):
    def judge(self, batch):
        return Judgement(["" if i % 2 else "too_short" for i in range(batch.num_rows)])


def error_of(stage: Stage, table: pa.Table) -> str:
    with pytest.raises(StageError) as e:
        stage(table)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_rows_sliced_away_without_a_reason_are_refused_naming_the_stage():
    msg = error_of(Halve(), docs())
    assert msg.startswith("Halve: 3 of the 6 input document ids") and "Result.split" in msg


def test_rows_removed_with_reasons_and_chunks_reusing_ids_pass():
    assert SplitsHalf()(docs()).removed.num_rows == 3
    assert Chunker()(docs()).kept.num_rows == 12


def test_a_stage_dropping_the_id_column_is_refused_naming_it():
    assert error_of(DropsId(), docs()).startswith("DropsId returned documents without column(s) 'id'")


def test_an_empty_table_is_refused_at_the_stage_that_returned_it():
    msg = error_of(EmptyTable(), docs())
    assert msg.startswith("EmptyTable returned documents without column(s) 'id', 'source', 'text'")


def test_an_empty_string_reason_is_refused_not_taken_as_keep():
    msg = error_of(EmptyKeep(), docs())
    assert msg.startswith("EmptyKeep: 3 of 6 reasons are the empty string") and "use None to keep" in msg


def _stage(sid, docs_in, docs_out, removed=None, counters=None):
    return {"id": sid, "docs_in": docs_in, "docs_out": docs_out, "removed": removed or {},
            "quarantined": {}, "counters": counters or {}}


def test_a_run_that_delivers_no_documents_warns_naming_the_stage_that_removed_the_last():
    stats = {"stages": [_stage("ingest", 0, 700), _stage("f", 700, 0, {"f/too_short": 700}), _stage("exact_dedup", 0, 0)]}
    [w] = stage_warnings(stats)
    assert w["stage"] == "f" and "removed the last 700 documents" in w["message"] and "f/too_short" in w["message"]
    ok = {"stages": [_stage("ingest", 0, 700), _stage("f", 700, 10)]}
    assert stage_warnings(ok) == []


def test_a_target_below_one_document_fails_instead_of_mixing_0_tokens(tmp_path, ray_local):
    from pipeline.global_context import GlobalContext
    from pipeline.shards import StageDir
    from test_tokenize import write_input
    text = ("The quick brown fox jumps over the lazy dog near the river bank. " * 30).strip()
    inp = write_input(tmp_path / "in", [dict(id=f"a/{i}", source="a", text=text) for i in range(20)], 2)
    ctx = GlobalContext("mix", inp, StageDir(tmp_path / "out"), seed=1, removed_samples=0)
    mix = Mix.model_validate({"sources": {"a": {"weight": 1}}, "tokenizer": {"vocab_size": 300},
                              "target_tokens": {"chinchilla_params": 1}})
    with pytest.raises(StageError, match="smaller than one document") as e:
        mix.run(ctx)
    assert "would mix 0 tokens" in str(e.value)


def test_a_negative_phase_weight_is_refused():
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Mix.model_validate({"sources": {"a": {}, "b": {}},
                            "phases": [{"share": 1, "weights": {"a": -0.5, "b": 1}}]})


def test_an_unset_environment_variable_in_output_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("TM_PROBE_UNSET", raising=False)
    message = load_error(recipe(tmp_path, output="${TM_PROBE_UNSET}/run"))
    assert "output: " in message and "($TM_PROBE_UNSET is not set here)" in message


def test_true_for_a_count_option_is_refused(tmp_path):
    message = load_error(recipe(tmp_path, "  - {stage: gopher_quality, min_words: true}\n"))
    assert "min_words: a number, not true" in message
    assert load_recipe(recipe(tmp_path, "  - {stage: gopher_quality, min_words: 3, annotate_only: true}\n"))


def test_a_run_ending_in_tokenize_delivers_tokens_not_documents():
    """tokenize writes tokens, not documents (its docs_out is 0): the default recipe's run was
    warned that it "delivers no documents"."""
    from pipeline.stats import empty_output
    mix = {"id": "mix", "docs_in": 585, "docs_out": 1141, "removed": {}, "quarantined": {}, "counters": {}}
    tokenize = {"id": "tokenize", "docs_in": 1141, "docs_out": 0, "removed": {}, "quarantined": {},
                "counters": {"tokens": 934_402}}
    assert empty_output([mix, tokenize]) == []
    none = {**tokenize, "counters": {"tokens": 0}, "docs_in": 0}
    assert empty_output([{**mix, "docs_out": 0}, none])          # nothing mixed: still warned


class LoadsIntoAnOption(Filter):
    def setup(self):
        self.model = {"threshold": 3}

    def judge(self, batch):
        return Judgement([None] * batch.num_rows)


class LoadsIntoPrivate(Filter):
    def setup(self):
        self._model = {"threshold": 3}

    def judge(self, batch):
        return Judgement([None if self._model["threshold"] else "x"] * batch.num_rows)


def test_setup_storing_state_in_a_public_attribute_gets_a_hint_not_pydantics_frozen_error():
    with pytest.raises(AttributeError, match=r"LoadsIntoAnOption\.model: a stage's options are frozen.*self\._model"):
        LoadsIntoAnOption().ensure_setup()
    stage = LoadsIntoPrivate().ensure_setup()
    assert stage.process(docs(3)).kept.num_rows == 3
