"""Q&A sources probe: a full scratch disk under a .7z, rows with invalid references, MathJax line
breaks, the site taken from a folder, and HTML fragments in the default extract engine."""
import errno
import os

import pytest

from pipeline.readers import ReadState
from pipeline.readers.stackexchange import html_to_text
from pipeline.recipe import SourceConfig
from test_source_stackexchange import _read  # its tests' reader helper


def _row(**attrs) -> str:
    from xml.sax.saxutils import quoteattr
    return "  <row " + " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items()) + " />\n"


def _q(qid, body=None, **attrs):
    return _row(Id=qid, PostTypeId=1, Score=1, AnswerCount=1, Title=f"Question {qid}",
                Body=body or f"<p>question {qid}</p>", **attrs)


def _a(aid, parent):
    return _row(Id=aid, PostTypeId=2, ParentId=parent, Score=1, Body=f"<p>answer {aid}</p>")


def _dump(path, rows: str, close=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + rows + ("</posts>\n" if close else ""))
    return path


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EMFILE])
def test_the_scratch_disk_failing_while_unpacking_stops_the_read(tmp_path, monkeypatch, code):
    """A full scratch disk while unpacking a .7z was a `corrupt_archive` item, and the half-written
    Posts.xml was read (397 of 2,000 questions): the run went on and the loss was cached. Now it
    stops the read with one line naming the archive and the scratch folder; nothing quarantined."""
    import py7zr

    from pipeline import storage
    from pipeline.readers import read_source_file
    from pipeline.readers.guarded import StorageFailed
    plain = _dump(tmp_path / "plain" / "Posts.xml", "".join(_q(i) + _a(1000 + i, i) for i in range(1, 200)))
    archive = tmp_path / "mid.stackexchange.com.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.write(plain, "Posts.xml")

    def extract_until_full(self, path=None, targets=None, **kw):
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "Posts.xml"), "wb") as f:      # the part written before the disk filled
            f.write(plain.read_bytes()[:plain.stat().st_size // 3])
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(py7zr.SevenZipFile, "extract", extract_until_full)
    src = SourceConfig(name="qa", format="stackexchange", paths=[str(archive)])
    items = []
    with pytest.raises(StorageFailed) as failed:
        items.extend(src.reader.read(str(archive), src, ReadState()))
    assert not items
    line = str(failed.value)
    assert str(archive) in line and "scratch folder" in line and os.strerror(code) in line
    with pytest.raises(storage.InputUnreadable) as stopped:
        list(read_source_file(src, str(archive), ReadState()))
    assert str(archive) in str(stopped.value) and "scratch folder" in str(stopped.value)


def test_items_of_an_archived_dump_name_the_archive_not_the_scratch_file(tmp_path):
    """A bad row or a cut end inside a .7z was reported in the scratch file's name
    (/tmp/stackexchange-…/posts/Posts.xml, deleted after the read)."""
    import py7zr
    plain = _dump(tmp_path / "plain" / "Posts.xml", _q(1) + _a(2, 1) + '  <row Id="3" Body="cut\n', close=False)
    archive = tmp_path / "b.stackexchange.com.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.write(plain, "Posts.xml")
    docs, quarantined, _ = _read(archive)
    assert [d.id for d in docs] == ["b.stackexchange.com/1"]
    assert [q.reason for q in quarantined] == ["bad_row", "truncated"]
    for q in quarantined:
        assert q.detail.startswith(f"{archive} (Posts.xml): ") and "stackexchange-" not in q.detail


def test_invalid_references_are_repaired_and_an_unreadable_question_owns_its_answers(tmp_path):
    """`&#x8;`/`&#x0E;` (control characters real dumps hold, openzim/sotoki#311) or a bare `&`
    made the question row `bad_row` and its answer an `orphan_answer` "not in this file"."""
    rows = (_q(1).replace("question 1", "first &amp;amp; fine &#x8;and&#x0E; more") + _a(2, 1)
            + _q(3).replace("question 3", "fish & chips &nbsp;x") + _a(4, 3)
            + '  <row Id="5" PostTypeId="1" AnswerCount="1" Title="unclosed quote Body="b" />\n' + _a(6, 5)
            + _a(8, 7))
    docs, quarantined, state = _read(_dump(tmp_path / "a.stackexchange.com" / "Posts.xml", rows))
    by_id = {d.metadata["question_id"]: d for d in docs}
    assert sorted(by_id) == ["1", "3"]
    assert "first & fine and more" in by_id["1"].text and by_id["1"].metadata["answer_ids"] == ["2"]
    assert "fish & chips \xa0x" in by_id["3"].text and by_id["3"].metadata["answer_ids"] == ["4"]
    assert [(q.reason, q.id) for q in quarantined] == [("bad_row", "5"), ("orphan_answer", "7")]
    c = state.counters
    assert c["stackexchange_rows_recovered"] == 2 and c["stackexchange_unreadable_question_answers"] == 1
    assert c["stackexchange_orphan_answers"] == 1


def test_math_keeps_its_line_breaks():
    """Whitespace inside MathJax was squeezed: a `%` comment in a display block then commented out
    the rest of it (`\\end{align}$$` included) and every multi-line align lost its lines."""
    body = ('<p>Show</p>\n<p><span class="math-container">$$\\begin{align}\nf(x) &amp;= a \\\\\n'
            '&amp;= b % why\n\\end{align}$$</span></p>\n'
            '<p>Old post: $$\nx = 1 % one\n$$ and \\begin{equation}\ny % two\n\\end{equation} done\n now</p>')
    text = html_to_text(body)
    assert "$$\\begin{align}\nf(x) &= a \\\\\n&= b % why\n\\end{align}$$" in text
    assert "Old post: $$\nx = 1 % one\n$$ and \\begin{equation}\ny % two\n\\end{equation} done now" in text


def test_the_site_is_read_from_a_folder_as_from_an_archive(tmp_path):
    """`stackoverflow.com-Posts/Posts.xml` gave ids `stackoverflow.com-Posts/10` and no link (the
    .7z of that name was read as stackoverflow.com); a folder named no site made nothing known."""
    rows = _q(10) + _a(11, 10)
    docs, _, state = _read(_dump(tmp_path / "stackoverflow.com-Posts" / "Posts.xml", rows))
    assert [(d.id, d.url, d.metadata["site"]) for d in docs] == \
        [("stackoverflow.com/10", "https://stackoverflow.com/questions/10", "stackoverflow.com")]
    assert "stackexchange_site_unknown" not in state.counters
    docs, _, state = _read(_dump(tmp_path / "extracted" / "Posts.xml", rows))
    assert [(d.id, d.url) for d in docs] == [("extracted/10", None)]
    assert state.counters["stackexchange_site_unknown"] == 1


def test_html_fragments_are_extracted_by_the_default_engine():
    """A one-paragraph fragment (a Q&A body) is no page to trafilatura's load_html: it was
    quarantined not_html (61 of 376 coffee.stackexchange bodies). Pages and feeds are unchanged."""
    import pyarrow as pa
    import trafilatura

    from stages.extract import Extract
    fragment = "<p>为什么 <code>[] == ![]</code> 是 true？</p>"
    coffee = "<p>I grind my beans every morning; a burr grinder keeps the size even.</p>"
    page = ("<html><body><article><h1>Rivers</h1>" + "<p>The river rose in the night and the town woke "
            "to water in its streets, as it had a hundred years before.</p>" * 3 + "</article></body></html>")
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item><title>Story</title>'
           '<description>The committee met on Tuesday to discuss the budget.</description></item></channel></rss>')
    table = pa.table({"id": ["f", "c", "page", "rss", "text"],
                      "html": [fragment, coffee, page, rss, "just words, no markup at all"], "url": [None] * 5})
    out = Extract(isolation="signal")(table)
    kept = dict(zip(out.kept.column("id").to_pylist(), out.kept.column("text").to_pylist()))
    assert kept["f"] == "为什么 [] == ![] 是 true？" and kept["c"] == coffee[3:-4]
    assert kept["page"] == trafilatura.extract(page)
    assert sorted(out.quarantined.column("id").to_pylist()) == ["rss", "text"]
    assert out.counters["fallback_fragment_wrapped"] == 2


def test_a_full_disk_under_the_comments_scratch_database_stops_the_read(monkeypatch):
    """SQLite's "database or disk is full" was no OSError: the dump was quarantined reader_error and
    the run went on without its comments."""
    import sqlite3

    from pipeline.readers import stackexchange_comments as sc
    from pipeline.readers.guarded import StorageFailed

    class FullDisk:
        def execute(self, *a):
            return self

        def executemany(self, *a):
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            pass

    store = sc.CommentStore()
    monkeypatch.setattr(sc.sqlite3, "connect", lambda path: FullDisk())
    store.add({"PostId": "1", "Text": "a comment"})
    try:
        store.finish()
    except StorageFailed as e:
        assert "database or disk is full" in str(e.__cause__) and "scratch database" in str(e.__cause__)
    else:
        raise AssertionError("a full disk under the scratch database must stop the read")
    finally:
        store.close()


def test_a_page_empty_at_the_parsers_depth_limit_is_counted_so():
    """30 paragraphs inside 10,000 unclosed <div>s: trafilatura (libxml2's depth limit of 256)
    gives nothing, and the page was removed no_text like an empty one, with no count saying why."""
    import pyarrow as pa

    from stages.extract import Extract
    page = "<html><body>" + "<div>" * 10_000 + "".join(
        f"<p>Paragraph {i} of a real article with enough words to be kept as text.</p>" for i in range(30))
    table = pa.table({"id": ["a"], "source": ["s"], "url": ["http://x.example/a"], "html": [page], "text": [None]})
    result = Extract().ensure_setup()(table)
    if result.kept.num_rows == 0:
        assert result.counters.get("no_text_html_depth_limit") == 1
    else:
        assert result.counters.get("html_depth_limit") == 1
