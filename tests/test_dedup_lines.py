import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from pipeline.recipe import RecipeError, parse_recipe
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
    # the assignment removes every shared line, short ones ("- home") included
    run = run_global(LineDedup(min_docs=1, min_chars=0), inp, tmp_path)
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


# -- order with document dedup, keep: first ----------------------------------------------------

def _recipe(tmp_path, stages: list[dict], sources=("web",)) -> dict:
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "x"}\n')
    return {"name": "t", "output": str(tmp_path / "run"), "stages": stages,
            "sources": [{"name": s, "format": "jsonl", "paths": [str(data)]} for s in sources]}


@pytest.mark.parametrize("doc_dedup", ["exact_dedup", "minhash_dedup"])
def test_document_dedup_after_line_dedup_is_refused_at_load_unless_keep_first(tmp_path, doc_dedup):
    """Was: both copies of a duplicated article removed as empty_after_line_dedup (or a near copy
    cut to its one differing line) before document dedup saw them, silently."""
    with pytest.raises(RecipeError) as e:
        parse_recipe(_recipe(tmp_path, [{"stage": "line_dedup"}, {"stage": doc_dedup}]))
    msg = str(e.value)
    assert f"stages[0] (line_dedup): '{doc_dedup}' (stages[1]) comes after line_dedup" in msg
    assert "put document dedup first" in msg and "\n" not in msg
    parse_recipe(_recipe(tmp_path, [{"stage": doc_dedup}, {"stage": "line_dedup"}]))
    parse_recipe(_recipe(tmp_path, [{"stage": "line_dedup", "keep": "first"}, {"stage": doc_dedup}]))


def _docs(rows, shards):
    """rows: [(id, text) or (id, text, source)] split into shards of the given sizes."""
    docs = [{"id": r[0], "source": r[2] if len(r) > 2 else "s", "text": r[1]} for r in rows]
    out, at = [], 0
    for n in shards:
        out.append(documents_table(docs[at: at + n]))
        at += n
    return out


ARTICLE = "\n".join(f"Paragraph {i} of the syndicated article, long enough to count as a line." for i in range(5))


def test_keep_first_keeps_each_frequent_line_in_its_first_document_in_shard_then_row_order(tmp_path):
    nav = "Home | News | Sport | About us | Contact"
    rows = [("a", f"{nav}\nFirst page body, which is its own."),
            ("copy1", ARTICLE),
            ("b", f"{nav}\nSecond page body, also its own."),
            ("copy2", ARTICLE),
            ("near", ARTICLE + "\nThis article first appeared on a partner site.")]
    got = {}
    for name, shards, partitions in [("one", [5], 1), ("many", [2, 1, 2], 3), ("other", [1, 4], 7)]:
        inp = write_input(_docs(rows, shards), tmp_path / name / "in")
        run = run_global(LineDedup(keep="first", partitions=partitions), inp, tmp_path / name)
        got[name] = dict(zip(run.kept.column("id").to_pylist(), run.kept.column("text").to_pylist()))
        removed = dict(zip(run.removed.column("id").to_pylist(), run.removed.column("reason").to_pylist()))
        assert removed == {"copy2": "empty_after_line_dedup"}
    assert got["one"] == got["many"] == got["other"]
    kept = got["one"]
    assert kept["a"] == rows[0][1]                      # the first page keeps the menu
    assert kept["b"] == "Second page body, also its own."
    assert kept["copy1"] == ARTICLE                     # the first copy of the article stays whole
    assert kept["near"] == "This article first appeared on a partner site."


def test_keep_none_removes_every_copy_as_before(tmp_path):
    rows = [("copy1", ARTICLE), ("copy2", ARTICLE)]
    run = run_global(LineDedup(), write_input(_docs(rows, [1, 1]), tmp_path / "in"), tmp_path)
    assert run.kept.num_rows == 0 and run.removed.num_rows == 2


# -- which lines are candidates ---------------------------------------------------------------

CODE = "int f(void)\n{\n    return 0;\n}\n| a | b |\n|---|---|\n- \n* * *"


def test_short_and_symbol_only_lines_are_no_candidates_by_default(tmp_path):
    """Was: `}`, `{`, `return 0;`, table rules and bullets shared by two documents wiped."""
    rows = [("c1", CODE + "\nFirst file."), ("c2", CODE + "\nSecond file.")]
    inp = write_input(_docs(rows, [2]), tmp_path / "in")
    run = run_global(LineDedup(), inp, tmp_path / "a")
    got = dict(zip(run.kept.column("id").to_pylist(), run.kept.column("text").to_pylist()))
    # only "int f(void)" (10 non-space characters) goes; the braces, `return 0;`, rules and bullets stay
    assert got["c1"] == CODE.split("\n", 1)[1] + "\nFirst file."
    every = run_global(LineDedup(min_chars=0, require_alphanumeric=False), inp, tmp_path / "b")
    assert dict(zip(every.kept.column("id").to_pylist(), every.kept.column("text").to_pylist())) == \
        {"c1": "First file.", "c2": "Second file."}
    letters = run_global(LineDedup(min_chars=0), inp, tmp_path / "c")
    text = letters.kept.column("text").to_pylist()[0]
    assert text.split("\n") == ["{", "}", "|---|---|", "- ", "* * *", "First file."]


def test_min_chars_counts_non_space_characters(tmp_path):
    rows = [(f"d{i}", f"Chapter 1\nC h a p t e r 123\nBody {i} of the book.") for i in range(2)]
    run = run_global(LineDedup(), write_input(_docs(rows, [2]), tmp_path / "in"), tmp_path)
    # "Chapter 1" has 8 non-space characters (stays), the spaced one 10 (goes)
    assert run.kept.column("text").to_pylist()[0] == "Chapter 1\nBody 0 of the book."


def test_scope_per_source_and_skip_sources(tmp_path):
    shared = "Licensed under the Apache License, Version 2.0"
    rows = [("w1", f"{shared}\nweb one", "web"), ("w2", f"{shared}\nweb two", "web"),
            ("c1", f"{shared}\ncode one", "code"), ("c2", f"{shared}\ncode two", "code"),
            ("b1", f"{shared}\nbook one", "books")]
    inp = write_input(_docs(rows, [3, 2]), tmp_path / "in")
    per = run_global(LineDedup(scope="per_source"), inp, tmp_path / "a")
    got = dict(zip(per.kept.column("id").to_pylist(), per.kept.column("text").to_pylist()))
    assert got == {"w1": "web one", "w2": "web two", "c1": "code one", "c2": "code two", "b1": rows[4][1]}
    skip = run_global(LineDedup(skip_sources=["code"]), inp, tmp_path / "b")
    got = dict(zip(skip.kept.column("id").to_pylist(), skip.kept.column("text").to_pylist()))
    assert got == {"w1": "web one", "w2": "web two", "c1": rows[2][1], "c2": rows[3][1], "b1": "book one"}


def test_skip_sources_must_name_sources_and_apply_to_points_to_them(tmp_path):
    with pytest.raises(RecipeError, match=r"skip_sources: \['cod'\] are not sources of this recipe"):
        parse_recipe(_recipe(tmp_path, [{"stage": "line_dedup", "skip_sources": ["cod"]}], ("web", "code")))
    parse_recipe(_recipe(tmp_path, [{"stage": "line_dedup", "skip_sources": ["code"]}], ("web", "code")))
    with pytest.raises(RecipeError, match="see its own options for scoping"):
        parse_recipe(_recipe(tmp_path, [{"stage": "line_dedup", "apply_to": ["web"]}], ("web", "code")))


def test_unit_description_says_ccnet_and_dolma_paragraphs_are_lines():
    """`unit: paragraphs` finds nothing in extracted web text (one paragraph per line)."""
    text = LineDedup.model_fields["unit"].description
    assert "CCNet's and Dolma's \"paragraphs\" are lines" in text and "blank-line blocks" in text


# -- pages left tiny, counters -----------------------------------------------------------------

NAV = "Home | News | Sport | About us | Contact"
COOKIE = "We use cookies to improve your experience on our site. Accept"


def test_min_chars_after_removes_pages_left_tiny(tmp_path):
    rows = [("tiny", f"{NAV}\n{COOKIE}\nOK"), ("page", f"{NAV}\n{COOKIE}\n" + "A real article body. " * 5),
            ("short_before", "Short, but nothing removed.")]
    inp = write_input(_docs(rows, [1, 2]), tmp_path / "in")
    off = run_global(LineDedup(), inp, tmp_path / "a")
    assert "tiny" in off.kept.column("id").to_pylist()
    on = run_global(LineDedup(min_chars_after=50), inp, tmp_path / "b")
    assert sorted(on.kept.column("id").to_pylist()) == ["page", "short_before"]
    removed = dict(zip(on.removed.column("id").to_pylist(), on.removed.column("reason").to_pylist()))
    assert removed == {"tiny": "too_short_after_line_dedup"}
    assert on.removed.column("text").to_pylist() == [rows[0][1]]     # the original text, to inspect


def test_counters_count_what_was_cut_from_kept_pages(tmp_path):
    """Was: line_dedup_units_removed counted the lines of pages removed as empty (their text is
    kept), and line_dedup_distinct_units summed per-page distinct lines."""
    body = "Body text of this page, its own words."
    rows = [("nav_only", f"{NAV}\n{COOKIE}"), ("p1", f"{NAV}\n{COOKIE}\n{body} 1"),
            ("p2", f"{NAV}\n{body} 2")]
    run = run_global(LineDedup(), write_input(_docs(rows, [2, 1]), tmp_path / "in"), tmp_path)
    assert run.removed.column("id").to_pylist() == ["nav_only"]
    assert run.counters["line_dedup_units_removed"] == 3                 # 2 from p1, 1 from p2
    assert run.counters["line_dedup_chars_removed"] == 2 * (len(NAV) + 1) + len(COOKIE) + 1
    assert run.counters["line_dedup_distinct_units"] == 4                # NAV, COOKIE, body 1, body 2
    assert run.counters["line_dedup_document_units"] == 7
    assert run.counters["line_dedup_frequent_units"] == 2
