"""Completion records: what a shard record counts for stats and the report."""
import pyarrow as pa


def test_kept_counts_per_group_from_records_with_and_without_the_column(tmp_path):
    """A stage's kept documents per source and language are counted as each shard is written and
    summed in stats; a shard whose documents never got a language (apply_to) counts as "(none)"."""
    from pipeline.shards import StageDir
    from pipeline.stage import Result
    from pipeline.stats import _sum
    sd = StageDir(tmp_path / "stage")
    labelled = pa.table({"id": ["a", "b", "c"], "source": ["web", "web", "cc"], "language": ["en", None, "zh"]})
    unlabelled = pa.table({"id": ["d", "e"], "source": ["books", "books"]})
    sd.write_shard("s0", labelled, Result(labelled), 0.0, 0)
    sd.write_shard("s1", unlabelled, Result(unlabelled), 0.0, 0)
    out = _sum(sd.records(), "stage")
    assert out["kept_by"] == {"source": {"books": 2, "cc": 1, "web": 2},
                              "language": {"(none)": 3, "en": 1, "zh": 1}}
