"""The report's numbers against the data (probe 24): languages counted, not sampled; signals of a
stage scoped with `apply_to`; lengths and signals of all documents, or a sample in proportion to
each source; removals without a language; a run that ends with no documents; duplicate examples."""
import numpy as np
import pyarrow as pa

from pipeline.report import breakdown, collect as c
from pipeline.report.collect import ReportData, collect
from pipeline.report.render import sections, to_markdown
from pipeline.shards import StageDir, _count_by_language
from pipeline.stage import Result


def _stage(path, shards: dict[str, pa.Table]) -> StageDir:
    sd = StageDir(path)
    for name, t in shards.items():
        sd.write_shard(name, None, Result(t), 0.0, 0, docs_in=t.num_rows)
    return sd


def _stats(stage_dir, sid="s", **extra) -> dict:
    return {"stages": [{"id": sid, "stage": sid, "dir": str(stage_dir), "docs_in": 0, "docs_out": 0, "removed": {},
                        "quarantined": {}, "bytes_in": 0, "bytes_out": 0, "shards": 1, **extra}],
            "removed": {}, "quarantined": {}, "output": {}}


def _docs(n, lang, source, length=10, **cols):
    return pa.table({"id": [f"{source}{lang}{length}-{i}" for i in range(n)], "source": [source] * n,
                     "language": [lang] * n, "text": ["x" * length] * n, **cols})


def test_languages_are_the_stages_counts_not_a_sample_of_its_shards(tmp_path):
    """Eight zh shards and one en shard: a spread of 8 shards read 7 zh and the en one (zh 87.5%)."""
    shards = {f"00-00000-{i:04d}": _docs(10, "zh", "zh_web") for i in range(8)}
    shards["01-00000-0000"] = _docs(10, "en", "web")
    _stage(tmp_path / "mix", shards)
    stats = _stats(tmp_path / "mix", "mix", kept_by={"language": {"en": 10, "zh": 80}})
    stage, counts, n, total = c.languages(stats)
    assert (stage, counts, n, total) == ("mix", {"zh": 80, "en": 10}, 90, 90)
    md = to_markdown(stats, sections(collect(stats)))
    assert "(all 90 documents)" in md and "| zh | 80 | 88.9% |" in md


def test_signals_of_a_stage_scoped_to_some_sources_are_found_in_their_shards(tmp_path):
    """The first shard is of a source the stage never saw: its columns were taken for all of them."""
    _stage(tmp_path / "gq", {"00-00000-0000": _docs(3, "en", "code"),
                             "01-00000-0000": _docs(4, "en", "web", gopher_word_count=[10, 20, 30, 40])})
    dists = {d.column: d for d in c.signals(_stats(tmp_path / "gq", "gopher_quality"))}
    words = dists["gopher_word_count"]
    assert sorted(words.kept.tolist()) == [10, 20, 30, 40] and (words.sampled, words.total) == (4, 4)


def test_lengths_are_of_every_document_while_they_are_few(tmp_path):
    """Nine shards of one source, one of another: 8 of 10 shards were read and the median moved."""
    shards = {f"00-00000-{i:04d}": _docs(10, "en", "a", length=10 + i) for i in range(9)}
    shards["01-00000-0000"] = _docs(10, "en", "b", length=1000)
    _stage(tmp_path / "st", shards)
    (d,) = c.lengths(_stats(tmp_path / "st"))
    assert (d.sampled, d.total, len(d.kept)) == (100, 100, 100)
    every = np.array([10 + i for i in range(9) for _ in range(10)] + [1000] * 10)
    assert np.percentile(d.kept, 90) == np.percentile(every, 90) and np.median(d.kept) == np.median(every)
    md = to_markdown(_stats(tmp_path / "st"), sections(collect(_stats(tmp_path / "st"))))
    assert "| s | all 100 |" in md


def test_past_the_bound_each_source_is_sampled_in_proportion_to_its_documents(tmp_path, monkeypatch):
    monkeypatch.setattr(c, "ALL_DOCS", 50)
    monkeypatch.setattr(c, "SAMPLE_DOCS", 40)
    shards = {f"00-00000-{i:04d}": _docs(10, "zh", "a", length=10) for i in range(15)}     # 150 documents
    shards.update({f"01-00000-{i:04d}": _docs(10, "en", "b", length=500) for i in range(5)})   # 50
    _stage(tmp_path / "st", shards)
    (d,) = c.lengths(_stats(tmp_path / "st"))
    assert (d.sampled, d.total) == (40, 200)
    assert (d.kept == 10).sum() == 30 and (d.kept == 500).sum() == 10      # 3:1, as the documents
    md = to_markdown(_stats(tmp_path / "st"), sections(collect(_stats(tmp_path / "st"))))
    assert "| s | a sample of 40 of 200 |" in md


def test_removed_documents_without_a_language_column_count_as_unknown():
    removed = pa.table({"id": ["1", "2"], "reason": ["max_line_length", "max_line_length"]})
    assert _count_by_language(removed) == {"unknown/max_line_length": 2}
    labelled = pa.table({"id": ["1", "2"], "language": ["en", None], "reason": ["a", "a"]})
    assert _count_by_language(labelled) == {"en/a": 1, "unknown/a": 1}


def test_a_stage_that_removed_the_last_documents_is_a_row_of_the_funnel():
    stats = {"stages": [{"id": "language", "kept_by": {"language": {"en": 16}}},
                        {"id": "gopher_quality", "kept_by": {"language": {}}},
                        {"id": "exact_dedup", "kept_by": {"language": {}}}]}
    keys, rows = breakdown.funnel_by(stats, "language")
    assert keys == ["en"] and [(r["stage"], r["counts"]) for r in rows] == [
        ("language", {"en": 16}), ("gopher_quality", {}), ("exact_dedup", {})]


def test_duplicate_examples_are_titled_for_both_kinds_and_say_how_many_are_shown_and_a_mix_its_repeats():
    row = {"removed": 0, "quarantined": 0, "bytes_in": 0, "bytes_out": 0, "global": False}
    pair = {"stage": "exact_dedup", "removed_id": "b", "kept_id": "a", "removed_text": "t", "kept_text": "t"}
    d = ReportData(stats={"stages": [{"id": "exact_dedup", "removed": {"exact_dedup/exact_duplicate": 7}}],
                          "removed": {}, "quarantined": {}},
                   funnel=[{**row, "id": "ingest", "docs_in": 100, "docs_out": 100},
                           {**row, "id": "mix", "docs_in": 100, "docs_out": 120, "resamples": True}],
                   reasons=[], walls=[], lengths=[], languages=None, signals=[], clusters={}, tokens=[],
                   duplicate_pairs=[pair] * 5)
    secs = {s.key: s for s in sections(d)}
    assert secs["duplicate_pairs"].title == "Example duplicates" and "exact_dedup 5 of 7" in secs["duplicate_pairs"].note
    assert [r[5] for r in secs["funnel"].tables[0].rows] == ["100.0%", "120.0% (repeats counted)"]


def test_the_language_funnel_starts_at_the_language_stage_and_needs_one():
    """Removals of documents without a language count as "unknown" (so its keep rate is true), but
    those before the language stage (extract's no_text) are no language's, and a run without a
    language stage has no funnel: it showed "unknown" with keep rate 0.00."""
    from pipeline.stats import language_funnel
    per = [{"id": "extract", "removed_by_language": {"unknown/extract/no_text": 5}},
           {"id": "language", "kept_by": {"language": {"en": 3, "unknown": 1}},
            "removed_by_language": {"fr/language/language_not_kept": 2}},
           {"id": "code_filter", "removed_by_language": {"unknown/code_filter/minified": 1}}]
    langs = language_funnel(per, {"language": {"en": 3, "unknown": 1}})
    assert langs["unknown"] == {"kept": 1, "removed": {"code_filter/minified": 1}, "keep_rate": 0.5}
    assert langs["fr"]["removed"] == {"language/language_not_kept": 2}
    assert language_funnel(per[:1], {"source": {"a": 3}}) == {}


def test_signals_are_found_when_a_sources_first_shard_was_emptied_earlier(tmp_path):
    """A crawl's first file all in a dropped language: its emptied shard, passed on untouched by
    the stage scoped to the source, lacks the signal columns its other shards have."""
    _stage(tmp_path / "end", {"00-00000-0000": _docs(0, "en", "web"),
                              "00-00001-0000": _docs(3, "en", "web", fineweb_lines=[1, 2, 3])})
    dists = {d.column: d for d in c.signals(_stats(tmp_path / "end", "end"))}
    assert sorted(dists["fineweb_lines"].kept.tolist()) == [1, 2, 3]


def _chain(tmp_path, columns: dict) -> dict:
    """A fused chain: an annotate-only fineweb_quality that stores nothing and removed nothing,
    then a custom stage that stores the chain's documents."""
    _stage(tmp_path / "end", {"00-00000-0000": _docs(3, "en", "web", **columns)})
    fused = {"fused_with": ["fineweb_quality", "addscore"]}
    stats = _stats(tmp_path / "end", "addscore", stage="p2stages:AddScore", **fused)
    inner = {**stats["stages"][0], "id": "fineweb_quality", "stage": "fineweb_quality", "dir": str(tmp_path / "fq"),
             "thresholds": {"fineweb_newline_ratio": [{"option": "new_line_ratio", "direction": "max", "value": 0.3}]}}
    stats["stages"].insert(0, inner)
    return stats


def test_a_signal_of_a_chain_stage_that_stored_nothing_is_credited_to_it_not_to_the_chains_end(tmp_path):
    stats = _chain(tmp_path, {"fineweb_newline_ratio": [0.1] * 3, "fineweb_lines": [1, 2, 3]})
    by = {d.column: (d.stage, d.kept_at) for d in c.signals(stats)}
    assert by == {"fineweb_newline_ratio": ("fineweb_quality", "addscore"),
                  "fineweb_lines": ("fineweb_quality", "addscore")}


def test_a_signal_no_stage_of_the_chain_is_known_for_says_it_is_from_the_chain(tmp_path):
    stats = _chain(tmp_path, {"quality_score": [0.5] * 3})
    (d,) = c.signals(stats)
    assert d.stage == "from the chain fineweb_quality…addscore" and d.kept_at == "addscore"
