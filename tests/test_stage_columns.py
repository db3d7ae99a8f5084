"""Columns a stage adds (`Stage.adds`) are what it adds, and the recipe loader follows them: a stage
reading a column its sources do not have there is refused at load, not by a task mid-run."""
import gzip
import importlib
import json
from fnmatch import fnmatchcase

import pyarrow as pa
import pytest

from pipeline.recipe import RecipeError, parse_recipe
from pipeline.report.collect import FROM_CHAIN, _credit
from pipeline.stage import GlobalStage
from stages import REGISTRY


@pytest.fixture(scope="module")
def pages(shared_data):
    import trafilatura
    files = sorted((shared_data / "html/scrapinghub/html").glob("*.html.gz"))[:5]
    html = [gzip.open(p).read().decode("utf-8", "replace") for p in files]
    texts = [trafilatura.extract(h) or "" for h in html]
    # and Chinese text, which the profiled filters segment by another path
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [line.strip() for _, line in zip(range(200), f) if len(line) > 200][:3]
    assert len(zh) == 3
    return html, texts + zh


def _batch(content: list[str], column: str) -> pa.Table:
    n = len(content)
    return pa.table({"id": [f"d{i}" for i in range(n)], "source": ["web"] * n,
                     "url": [f"https://example.com/{i}" for i in range(n)],
                     "text": content if column == "text" else [None] * n,
                     "html": content if column == "html" else [None] * n,
                     "metadata": [json.dumps({"title": "t"})] * n})


def _map_stages():
    for name, path in sorted(REGISTRY.items()):
        module, _, cls = path.partition(":")
        stage_class = getattr(importlib.import_module(module), cls)
        if issubclass(stage_class, GlobalStage) or name == "quality_classifier":   # (its own test file)
            continue
        yield name, stage_class


@pytest.mark.parametrize("name, stage_class", list(_map_stages()))
@pytest.mark.parametrize("how", ["default", "annotate_only", "second_instance"])
def test_every_column_a_built_in_stage_adds_is_declared(name, stage_class, how, pages):
    html, texts = pages
    options = {"annotate_only": True} if how == "annotate_only" and "annotate_only" in stage_class.model_fields \
        else {}
    stage = stage_class(**options)
    if how == "second_instance":
        stage._signal_prefix = "second."
    stage._ctx.stage_id = "x"
    batch = _batch(html, "html") if name == "extract" else _batch(texts, "text")
    out = stage(batch)
    added = [c for c in out.kept.column_names if c not in batch.column_names]
    declared = stage.output_columns("x")
    assert declared is not None
    assert [c for c in added if not any(fnmatchcase(c, p) for p in declared)] == []
    if how == "annotate_only" and options:
        assert "x_reason" in declared and "x_reason" in added
    if how == "second_instance" and added:
        assert any(c.startswith("second.") for c in added) == any(p.startswith("second.") for p in declared)


def _recipe(tmp_path, stages, sources=("web", "code")):
    (tmp_path / "d.jsonl").write_text(json.dumps({"text": "a document " * 20}) + "\n")
    return {"name": "t", "output": str(tmp_path / "run"),
            "sources": [{"name": s, "format": "jsonl", "paths": [str(tmp_path / "d.jsonl")]} for s in sources],
            "stages": stages}


def test_a_column_no_earlier_stage_adds_is_refused_at_load(tmp_path):
    """Was: a task stopped mid-run (after extraction and the filters) on the first shard without it."""
    mix = {"stage": "mix", "source_column": "langauge", "sources": {"en": {"weight": 1}},
           "tokenizer": {"vocab_size": 300}}
    with pytest.raises(RecipeError, match=r"stages\[1\] \(mix\) reads column `langauge`, which source 'web' does "
                                          r"not have there: .*did you mean `language`"):
        parse_recipe(_recipe(tmp_path, [{"stage": "language", "languages": ["en"]}, mix]))
    # the language stage on one source only leaves the other without the column the mix reads
    mix["source_column"] = "language"
    with pytest.raises(RecipeError, match="reads column `language`, which source 'code' does not have there"):
        parse_recipe(_recipe(tmp_path, [{"stage": "language", "languages": ["en"], "apply_to": ["web"]}, mix]))
    parse_recipe(_recipe(tmp_path, [{"stage": "language", "languages": ["en"]}, mix]))
    # a URL column misspelt; a title that only extract adds, on a text source
    with pytest.raises(RecipeError, match=r"stages\[0\] \(url_filter\) reads column `link`"):
        parse_recipe(_recipe(tmp_path, [{"stage": "url_filter", "url_field": "link"}]))
    with pytest.raises(RecipeError, match=r"stages\[0\] \(spam_filter\) reads column `title`, which source 'web'"):
        parse_recipe(_recipe(tmp_path, [{"stage": "spam_filter", "title_field": "title"}]))
    # columns of the documents (metadata.title: its JSON column) are always there
    parse_recipe(_recipe(tmp_path, [{"stage": "spam_filter", "title_field": "metadata.title"}]))


def test_a_custom_stage_that_does_not_declare_its_columns_lets_later_reads_pass(tmp_path):
    parse_recipe(_recipe(tmp_path, [{"stage": "stages_for_tests:CharCount"},
                                    {"stage": "url_filter", "url_field": "link"}]))


def test_a_score_read_where_present_needs_one_source_that_has_it(tmp_path):
    """minhash's `keep: highest_score` ranks a document without the score last: a score that one
    source's classifier adds is enough; a misspelt one, which no source has, is refused."""
    scored = [{"stage": "stages_for_tests:CharCount", "apply_to": ["web"]},
              {"stage": "language", "apply_to": ["web"]}]
    dedup = {"stage": "minhash_dedup", "keep": "highest_score", "score_column": "language_score"}
    parse_recipe(_recipe(tmp_path, [scored[1], dedup]))
    dedup["score_column"] = "language_scroe"
    with pytest.raises(RecipeError, match=r"minhash_dedup\) reads column `language_scroe`, which none of its "
                                          r"sources \(web, code\) has there"):
        parse_recipe(_recipe(tmp_path, [scored[1], dedup]))
    # after an undeclared custom stage on one source, that source may have it
    parse_recipe(_recipe(tmp_path, [*scored, dedup]))


def test_the_report_credits_a_signal_to_the_stage_that_declares_it():
    """An annotate-only stage inside a fused chain stores nothing; its signal was credited by the
    column's name prefix, so `cjk_ratio` (chinese_clean) went to "from the chain"."""
    since = [{"id": "chinese_clean", "adds": ["cjk_ratio", "mojibake_ratio"]}, {"id": "pii", "adds": []},
             {"id": "gopher_quality", "adds": ["gopher_word_count"]}]
    assert _credit("cjk_ratio", since) == "chinese_clean"
    # custom stages that declare nothing: by name, as before
    custom = [{"id": "mine", "stage": "pkg.mod:Mine"}, {"id": "theirs", "stage": "pkg.mod:Theirs"},
              {"id": "pii", "adds": []}]
    assert _credit("mine_score", custom) == "mine"
    assert _credit("score", custom) == FROM_CHAIN.format("mine…pii")


@pytest.mark.parametrize("name, options", [("url_filter", {"url_field": "link"}), ("pii", {"text_field": "title"}),
                                           ("language", {"text_field": "title"}), ("language", {})])
def test_an_emptied_shard_of_another_source_passes_a_stage_it_cannot_feed(name, options):
    """An empty batch goes through an `apply_to` stage so that the shard gets its columns; one of
    another source without the column the stage reads stopped the run with a KeyError."""
    from pipeline.documents import DOC_SCHEMA
    module, _, cls = REGISTRY[name].partition(":")
    stage = getattr(importlib.import_module(module), cls)(**options)
    stage._apply_to = ("other",)
    out = stage(DOC_SCHEMA.empty_table())
    added = set(out.kept.column_names) - set(DOC_SCHEMA.names)
    assert out.kept.num_rows == 0 and (added == {"language", "language_score", "script"} if not options else not added)
