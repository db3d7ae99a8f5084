"""Report breakdowns: funnels per source and language, token shares per grouping (each sums to 1),
signals per language, quarantine by file, example near-duplicate pairs."""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.report import breakdown
from pipeline.report.collect import collect, signals
from pipeline.report.render import sections, to_markdown
from pipeline.shards import StageDir
from pipeline.stage import Result
from stages.gopher import GopherQuality
from test_report import shared_small_run   # as test_inspect imports it: one module, one shared run


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data, ray_local):
    return shared_small_run(tmp_path_factory, shared_data)


def test_funnel_columns_are_ordered_by_count_then_name():
    tied = {f"l{i:02d}": 1 for i in range(40)}
    stats = {"stages": [{"id": "language", "kept_by": {"language": {"zz": 9, **dict(reversed(tied.items()))}}}]}
    keys, _ = breakdown.funnel_by(stats, "language")
    assert keys == ["zz", *sorted(tied)]


def test_funnel_per_source_counts_every_stage(run):
    _, stats = run
    keys, rows = breakdown.funnel_by(stats, "source")
    assert set(keys) == {"cc", "cc_copy"}
    # counted from the completion records: every stage, the fused chain's inner stages included
    assert [r["stage"] for r in rows] == [s["id"] for s in stats["stages"] if s["stage"] != "ingest"]
    by_id = {s["id"]: s for s in stats["stages"]}
    for r in rows:
        assert sum(r["counts"].values()) == by_id[r["stage"]]["docs_out"]
    # where a stage stores documents, the records agree with the column read from its shards
    stored = [s for s in stats["stages"] if breakdown._shards(s) and s["stage"] != "ingest"]
    assert stored
    for s in stored:
        assert next(r for r in rows if r["stage"] == s["id"])["counts"] == breakdown._counts(breakdown._shards(s), "source")
    # the copy is an exact duplicate of cc: after exact dedup one of each pair is left
    assert rows[-1]["counts"].get("cc", 0) + rows[-1]["counts"].get("cc_copy", 0) == rows[-2]["counts"]["cc"]


def test_example_duplicate_pairs_show_both_texts(run):
    _, stats = run
    pairs = breakdown.near_duplicate_pairs(stats)
    assert pairs and all(p["removed_text"] == p["kept_text"] for p in pairs)    # exact duplicates
    plain = lambda i: i.split("/", 1)[1].removeprefix("copy-")  # noqa: E731  (ids are source-prefixed)
    assert all(plain(p["removed_id"]) == plain(p["kept_id"]) for p in pairs)
    titles = [s.title for s in sections(collect(stats))]
    assert "Example duplicates" in titles and "Funnel per source" in titles


def test_token_groups_sum_to_one_each(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sources": {"web": {"tokens": 300}, "wiki": {"tokens": 100}}}))
    stats = {"stages": [
        {"id": "mix", "info": {"mix": {"source_column": "language", "sources": {
            "en": {"tokens": 250, "requested_share": 0.6}, "zh": {"tokens": 150, "requested_share": 0.4}}}}},
        {"id": "tokenize", "info": {"tokenize": {"manifest": str(manifest)}}}]}
    groups = breakdown.token_groups(stats)
    assert set(groups) == {"language (mix)", "source (tokenize)"}
    for rows in groups.values():
        assert abs(sum(r["share"] for r in rows) - 1) < 1e-9
    assert [r["requested_share"] for r in groups["language (mix)"]] == [0.6, 0.4]


def _stage(path, shards: dict[str, pa.Table]) -> StageDir:
    """A stage folder as a run writes it: documents plus completion records."""
    sd = StageDir(path)
    for name, t in shards.items():
        sd.write_shard(name, None, Result(t), 0.0, 0, docs_in=t.num_rows)
    return sd


def test_quarantine_and_signals_by_language_with_each_languages_threshold(tmp_path):
    d = tmp_path / "stage"
    (d / "quarantine").mkdir(parents=True)
    pq.write_table(pa.table({"source": ["a", "a", "a"], "path": ["/x/1.warc", "/x/1.warc", "/x/2.warc"],
                             "reason": ["too_large", "too_large", "bad_gzip"]}), d / "quarantine" / "00.parquet")
    _stage(d, {"s": pa.table({"id": ["1", "2", "3"], "language": ["en", "zh", "zh"],
                              "quality_profile": ["en", "zh-Hans", "zh-Hans"], "gopher_word_count": [100, 10, 30]})})
    # the real stage's declaration: its option, with a profile that sets its own value
    thresholds = GopherQuality(profiles={"zh-Hans": {"min_words": 8}}).declared_thresholds()
    stats = {"stages": [{"id": "gopher", "stage": "gopher_quality", "dir": str(d), "thresholds": thresholds,
                         "docs_in": 3, "docs_out": 3, "removed": {}, "quarantined": {"too_large": 2, "bad_gzip": 1},
                         "bytes_in": 0, "bytes_out": 0, "shards": 1}], "removed": {}, "quarantined": {}, "output": {}}
    assert breakdown.quarantine_by_file(stats) == [
        {"file": "/x/1.warc", "reason": "too_large", "records": 2}, {"file": "/x/2.warc", "reason": "bad_gzip", "records": 1}]
    dists = signals(stats)
    words = next(x for x in dists if x.column == "gopher_word_count")
    assert sorted(words.kept.tolist()) == [10, 30, 100] and words.profiles == {"en": "en", "zh": "zh-Hans"}
    # as a whole: the value of the documents' most common profile (zh-Hans)
    assert words.profile == "zh-Hans" and words.threshold_values() == [("min", 8.0), ("max", 100_000.0)]
    by_lang = {r["language"]: r for r in breakdown.signals_by_language(dists)}
    assert by_lang["zh"]["median"] == 20 and by_lang["en"]["documents"] == 1
    assert by_lang["zh"]["threshold"] == ">= 8, <= 100000" and by_lang["en"]["threshold"] == ">= 50, <= 100000"
    md = to_markdown(stats, sections(collect(stats)))
    assert "| gopher | gopher_word_count | gopher | 3 | 30.000 | 0 | - | >= 8, <= 100000 |" in md
    assert "| gopher | gopher_word_count | gopher | zh | 2 |" in md


def test_signals_of_an_inner_fused_stage_name_the_chain_end_they_are_read_from(tmp_path):
    """Inside a write-once chain the inner stage keeps no documents: its kept values are those
    that reached the chain's end, and the report says so instead of calling them its own."""
    gopher, c4 = tmp_path / "01-gopher", tmp_path / "02-c4"
    StageDir(gopher)                                   # records only: no documents of its own
    (gopher / "removed").mkdir(parents=True)
    pq.write_table(pa.table({"id": ["9"], "gopher_word_count": [3], "reason": ["gopher_quality/too_few_words"]}),
                   gopher / "removed" / "00.parquet")
    _stage(c4, {"s": pa.table({"id": ["1", "2"], "language": ["en", "en"],
                               "gopher_word_count": [100, 120], "c4_sentences": [6, 9]})})
    chain = ["gopher", "c4"]
    stats = {"stages": [
        {"id": "gopher", "stage": "gopher_quality", "dir": str(gopher), "fused_with": chain, "docs_in": 5,
         "docs_out": 4, "removed": {"gopher/too_few_words": 1}, "quarantined": {}, "bytes_in": 0, "bytes_out": 0,
         "shards": 1},
        {"id": "c4", "stage": "c4_quality", "dir": str(c4), "fused_with": chain, "docs_in": 4, "docs_out": 2,
         "removed": {"c4/too_few_sentences": 2}, "quarantined": {}, "bytes_in": 0, "bytes_out": 0, "shards": 1}],
        "removed": {}, "quarantined": {}, "output": {}}
    by_column = {d.column: d for d in signals(stats)}
    assert (by_column["gopher_word_count"].stage, by_column["gopher_word_count"].kept_at) == ("gopher", "c4")
    assert (by_column["c4_sentences"].stage, by_column["c4_sentences"].kept_at) == ("c4", "c4")
    md = to_markdown(stats, sections(collect(stats)))
    assert "| gopher | gopher_word_count | c4 | 2 |" in md and "| c4 | c4_sentences | c4 | 2 |" in md
    assert "| gopher | gopher_word_count | c4 | en | 2 |" in md


def test_pairs_and_funnels_from_stage_directories(tmp_path):
    """The same sections on hand-made stage directories (no Ray needed)."""
    ingest, dedup = tmp_path / "00-ingest", tmp_path / "01-dedup"
    docs = pa.table({"id": ["a", "b", "c"], "source": ["web", "web", "wiki"], "language": ["en", "zh", "en"],
                     "text": ["alpha text", "beta text", "alpha text!"]})
    _stage(ingest, {"s0": docs})
    _stage(dedup, {"s0": docs.slice(0, 2)})
    (dedup / "removed").mkdir()
    pq.write_table(pa.table({"id": ["c"], "text": ["alpha text!"], "duplicate_of": ["a"], "reason": ["near_duplicate"]}),
                   dedup / "removed" / "s0.parquet")
    stats = {"stages": [{"id": "ingest", "dir": str(ingest)}, {"id": "dedup", "dir": str(dedup)}]}
    keys, rows = breakdown.funnel_by(stats, "source")
    assert keys == ["web", "wiki"] and rows[1]["counts"] == {"web": 2}
    _, by_lang = breakdown.funnel_by(stats, "language")
    assert by_lang[0]["counts"] == {"en": 2, "zh": 1} and by_lang[1]["counts"] == {"en": 1, "zh": 1}
    assert breakdown.near_duplicate_pairs(stats) == [
        {"stage": "dedup", "removed_id": "c", "kept_id": "a", "removed_text": "alpha text!", "kept_text": "alpha text"}]


def test_a_threshold_keyed_by_language_applies_to_that_language():
    import numpy as np
    from pipeline.report.collect import Distribution
    from stages.language import LanguageFilter
    rules = LanguageFilter(min_score=0.6, thresholds={"en": 0.8}).declared_thresholds()["language_score"]
    d = Distribution("language", "language_score", np.array([0.9, 0.7]), thresholds=rules,
                     by_language={"en": np.array([0.9]), "de": np.array([0.7])})
    assert d.threshold_values("en") == [("min", 0.8)] and d.threshold_values("de") == [("min", 0.6)]
    assert [r["threshold"] for r in breakdown.signals_by_language([d])] == [">= 0.8", ">= 0.6"]


def test_the_mix_warnings_are_in_the_requested_vs_realised_section(tmp_path):
    # A shortfall (or a mix off its plan) was in neither stats.json nor the report.
    from pipeline.report.render import to_html
    warn = "mix: shortfall (allow_shortfall): 300 of the 1,000 tokens asked (30.0%); short: zh has 100 of 500"
    mix = {"source_column": "source", "warnings": [warn], "sources": {
        "en": {"tokens": 200, "documents": 4, "requested_share": 0.5}, "zh": {"tokens": 100, "documents": 2,
                                                                            "requested_share": 0.5}}}
    stats = {"stages": [{"id": "mix", "stage": "mix", "dir": str(tmp_path / "mix"), "docs_in": 6, "docs_out": 6,
                         "removed": {}, "quarantined": {}, "bytes_in": 0, "bytes_out": 0, "info": {"mix": mix}}],
             "removed": {}, "quarantined": {}, "output": {}}
    secs = sections(collect(stats))
    md = to_markdown(stats, secs)
    tokens = md.split("## Tokens per source: requested vs realised\n", 1)[1].split("\n## ", 1)[0]
    assert f"**Warning:** {warn}" in tokens and "| en | 0.5000 | 0.6667 | 200 | 4 |" in tokens
    assert md.count("**Warning:**") == 1
    assert "<p class='warning'><b>Warning:</b> mix: shortfall (allow_shortfall): 300 of the 1,000" in to_html(stats, secs)
    mix["warnings"] = []
    assert "Warning:" not in to_markdown(stats, sections(collect(stats)))


def test_the_funnel_counts_input_records_quarantined_at_ingest_as_input():
    """Ingest showed 100.0% kept of input although 7 of 385 input records were quarantined."""
    from pipeline.report.collect import ReportData
    from pipeline.report.render import sections
    row = {"removed": 0, "bytes_in": 0, "bytes_out": 0, "global": False}
    d = ReportData(stats={"stages": [], "removed": {}, "quarantined": {}}, funnel=[{**row, "id": "ingest", "docs_in": 385, "docs_out": 378, "quarantined": 7},
                                     {**row, "id": "language", "docs_in": 378, "docs_out": 189, "quarantined": 0}],
                   reasons=[], walls=[], lengths=[], languages=None, signals=[], clusters={}, tokens=[])
    funnel = sections(d)[0]
    assert funnel.note.startswith("378 documents read, 7 input records quarantined;")
    assert [r[5] for r in funnel.tables[0].rows] == ["98.2%", "49.1%"]


def test_quarantine_by_file_counts_the_records_an_item_stands_for(tmp_path):
    """An item of a cut-off file stands for all the records it held, a note about a dump (no
    Comments.xml) for none: each counted 1 before."""
    d = tmp_path / "ingest"
    (d / "quarantine").mkdir(parents=True)
    pq.write_table(pa.table({"source": ["a", "a", "a"], "path": ["/x/1.parquet", "/x/2.xml", "/x/3.warc"],
                             "reason": ["truncated_file", "missing_comments", "bad_gzip"],
                             "records": pa.array([40, 0, None], pa.int64())}), d / "quarantine" / "00.parquet")
    stats = {"stages": [{"id": "ingest", "stage": "ingest", "dir": str(d)}]}
    assert breakdown.quarantine_by_file(stats) == [
        {"file": "/x/1.parquet", "reason": "truncated_file", "records": 40},
        {"file": "/x/3.warc", "reason": "bad_gzip", "records": 1},
        {"file": "/x/2.xml", "reason": "missing_comments", "records": 0}]
