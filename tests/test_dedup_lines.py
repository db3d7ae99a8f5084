import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.lines import LineDedup
from stages.dedup.local import run_global, write_input


@pytest.fixture(scope="module", autouse=True)
def ray_started():
    start_ray(num_cpus=2)


def test_matches_cs336_expected_output(tmp_path, shared_data):
    src = shared_data / "dedup" / "documents_with_line_duplicates"
    expected = shared_data / "dedup" / "documents_line_deduplicated"
    rows = [{"id": p.name, "source": "cs336", "text": p.read_text()} for p in sorted(src.glob("*.txt"))]
    # two shards, so counting crosses shard boundaries
    inp = write_input([documents_table(rows[:2]), documents_table(rows[2:])], tmp_path / "in")
    run = run_global(LineDedup(min_docs=1), inp, tmp_path)
    got = dict(zip(run.kept.column("id").to_pylist(), run.kept.column("text").to_pylist()))
    for p in sorted(expected.glob("*.txt")):
        want = p.read_text()
        if want.strip():
            assert got[p.name].strip("\n") == want.strip("\n"), p.name
        else:
            assert p.name not in got
    removed = dict(zip(run.removed.column("id").to_pylist(), run.removed.column("reason").to_pylist()))
    assert removed == {"doc1.txt": "empty_after_line_dedup", "doc2.txt": "empty_after_line_dedup"}
    assert run.counters["line_dedup_units_removed"] > 0


def test_min_docs_threshold_and_paragraphs(tmp_path):
    menu = "Home | About | Contact"
    texts = [f"{menu}\nArticle {i} about topic number {i}.\n\nShared footer paragraph\nsecond line"
             for i in range(4)] + ["Unique text only.", None]
    inp = write_input([documents_table([{"id": f"d{i}", "source": "s", "text": t}
                                        for i, t in enumerate(texts)])], tmp_path / "in")
    loose = run_global(LineDedup(min_docs=4), inp, tmp_path / "a")
    assert loose.kept.num_rows == 6 and loose.counters["line_dedup_units_removed"] == 0
    strict = run_global(LineDedup(min_docs=3), inp, tmp_path / "b")
    kept = strict.kept.column("text").to_pylist()
    assert kept[0] == "Article 0 about topic number 0.\n"
    assert menu not in "".join(t or "" for t in kept)
    paras = run_global(LineDedup(min_docs=3, unit="paragraphs"), inp, tmp_path / "c")
    assert paras.kept.column("text").to_pylist()[1] == f"{menu}\nArticle 1 about topic number 1."


def test_paragraphs_removed_keep_the_breaks_of_the_rest(tmp_path):
    """A paragraph removed takes its break with it; the kept paragraphs keep the breaks they had
    (three newlines, a line of spaces), not a rewritten blank line."""
    footer = "Subscribe to our newsletter for weekly updates"
    texts = [f"Intro {i} of this page.\n\n\nBody {i} goes on here.\n \t\n{footer}\n\nLast words {i}."
             for i in range(4)]
    inp = write_input([documents_table([{"id": f"d{i}", "source": "s", "text": t}
                                        for i, t in enumerate(texts)])], tmp_path / "in")
    run = run_global(LineDedup(min_docs=3, unit="paragraphs"), inp, tmp_path / "p")
    got = dict(zip(run.kept.column("id").to_pylist(), run.kept.column("text").to_pylist()))
    assert got["d2"] == "Intro 2 of this page.\n\n\nBody 2 goes on here.\n\nLast words 2."
    assert run.counters["line_dedup_units_removed"] == 4
