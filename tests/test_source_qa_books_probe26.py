"""Probe 26 on the Q&A and book readers: Stack Exchange's <sup>/<sub>/strike kept as written, a Big5
book read as cp950 (Big5-HKSCS only where its extra pairs are needed), `text` documents with LF line
ends, and a `missing_comments` note that is no input record."""
import json

import pytest

from pipeline.ingest import ingest_file_stream
from pipeline.readers import Doc, Quarantined, ReadState
from pipeline.readers.stackexchange import html_to_text
from pipeline.recipe import SourceConfig
from pipeline.shards import StageDir


def _read(fmt, path, **opts):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], **opts)
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


# -- Stack Exchange: <sup>, <sub>, <strike>/<del>/<s> -----------------------------------------------
@pytest.mark.parametrize("body,text", [
    # the probe's repro (repro/physics.stackexchange.com): the tags' text was glued on
    ("<p>Is 2<sup>10</sup> = 1024 and 10<sup>-3</sup> g/cm<sup>3</sup> right? I went camping<sup>1</sup> "
     "once. <strike>Wrong claim.</strike> Fixed.</p>",
     "Is 2<sup>10</sup> = 1024 and 10<sup>-3</sup> g/cm<sup>3</sup> right? I went camping<sup>1</sup> "
     "once. <strike>Wrong claim.</strike> Fixed."),
    # real dumps: beer.stackexchange.com 926 (chemistry, nested footnote marks)
    ("<ul>\n<li><p>beer contains very little thiamine (B<sub>1</sub>), of which</p></li>\n</ul>\n\n"
     "<p><sup><sup>1</sup> Stringer, W. J. Vitamins in Beer.</sup></p>",
     "- beer contains very little thiamine (B<sub>1</sub>), of which\n\n"
     "<sup><sup>1</sup> Stringer, W. J. Vitamins in Beer.</sup>"),
    # datascience.meta 2380: fine print with a space inside the tag, collapsed as HTML shows it
    ("<p><sub> Note: There is no reputation penalty for down voting questions. </sub></p>",
     "<sub>Note: There is no reputation penalty for down voting questions.</sub>"),
    # history.meta 3643 and datascience.meta 62: struck-out sentences
    ("<p>the tie. <s>Let's wait till monday.</s> Still nothing</p>",
     "the tie. <s>Let's wait till monday.</s> Still nothing"),
    ("<p><s>Do we need to wait for pro tem mods to do this?</s></p>",
     "<s>Do we need to wait for pro tem mods to do this?</s>"),
    # history.meta 3785: struck-out code
    ("<p><del><code>&amp;output=embed\"</code></del> done</p>", "<del>`&output=embed\"`</del> done"),
    # matheducators 1099: an image's alt text, then its caption
    ('<p><img src="x.png" alt="3-coloring"><sub>(Wikipedia image)</sub></p>', "3-coloring <sub>(Wikipedia image)</sub>"),
    # datascience.meta 2501 (an edit left an empty pair) and history.meta 3785: a pair around no text
    ("<p><sup></sup> Number of editions</p>", "Number of editions"),
    ("<p>for version A;<sub><br></sub>for version B</p>", "for version A;\nfor version B"),
    # a space or a line break before the end tag goes after it
    ("<p>CO<sub>2 </sub>and N<sub>2</sub></p>", "CO<sub>2</sub> and N<sub>2</sub>"),
    ("<p>a <sub>small print<br></sub>next line</p>", "a <sub>small print</sub>\nnext line"),
])
def test_superscripts_subscripts_and_struck_text_kept_as_written(body, text):
    """SE's Markdown has no syntax for them: its authors write the tags in the Markdown, and without
    them `2<sup>10</sup>` read `210`, `CO<sub>2</sub>` `CO2`, a struck claim as a claim."""
    assert html_to_text(body) == text


def test_code_keeps_its_text_and_the_tags_stay_out_of_pre():
    """Inside <pre> and <code> the tags are not the author's Markdown (SE escapes a written one)."""
    assert html_to_text("<pre><code>x<sup>2</sup>\n</code></pre>") == "```\nx2\n```"


# -- Stack Exchange: missing_comments is a note, not a record ---------------------------------------
POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2015-01-01T00:00:00.000" Score="3" Body="&lt;p&gt;Q one&lt;/p&gt;" Title="One" Tags="&lt;a&gt;" AnswerCount="0" />
  <row Id="2" PostTypeId="1" CreationDate="2015-01-01T00:00:00.000" Score="3" Body="&lt;p&gt;Q two&lt;/p&gt;" Title="Two" Tags="&lt;a&gt;" AnswerCount="0" />
</posts>
"""


def test_missing_comments_counts_no_input_record(tmp_path):
    """With include_comments and no Comments.xml, the note said `3 docs in / 2 out / 1 quarantined`
    for 2 threads: the item counted as a document read."""
    site = tmp_path / "x.stackexchange.com"
    site.mkdir()
    (site / "Posts.xml").write_text(POSTS)
    docs, quarantined, _ = _read("stackexchange", site / "Posts.xml", include_comments=True)
    assert len(docs) == 2 and [(q.reason, q.records) for q in quarantined] == [("missing_comments", 0)]
    src = SourceConfig(name="qa", format="stackexchange", paths=[str(site / "Posts.xml")], include_comments=True)
    record = [v for kind, v in ingest_file_stream(src, 0, 0, str(site / "Posts.xml"), StageDir(tmp_path / "out"))
              if kind == "file"][0]
    assert record["docs_in"] == record["docs_out"] == 2


# -- Gutenberg: Big5 as cp950 ------------------------------------------------------------------------
BOOK = """The Project Gutenberg EBook of {title}

Title: {title}

Release Date: March 5, 2008 [EBook #24265]

Language: Chinese
Character set encoding: {label}

*** START OF THIS PROJECT GUTENBERG EBOOK {title} ***

{body}

*** END OF THIS PROJECT GUTENBERG EBOOK {title} ***
"""


@pytest.fixture
def classic(shared_data) -> str:
    """Paragraphs of the Great Learning that Big5 encodes (both readings decode them alike)."""
    data = json.loads((shared_data / "sources/books/zh_classics/daxue.json").read_text(encoding="utf-8"))
    paras = [p.strip() for ch in (data if isinstance(data, list) else [data]) for p in ch["paragraphs"]]
    kept = [p for p in paras if p and p.encode("big5", "ignore").decode("big5") == p][:12]
    assert len(kept) >= 5
    return "\n\n".join(kept)


def _book(tmp_path, classic: str, label: str, insert: bytes) -> tuple:
    """A book whose text is `classic` with `insert` (raw bytes) in the middle of its third paragraph."""
    data = BOOK.format(title="Book", label=label, body=classic).replace("\n", "\r\n").encode("big5")
    third = data.index(classic.split("\n\n")[2].encode("big5"))
    at = third + 2 * 4       # after four characters
    path = tmp_path / "24265-8.txt"
    path.write_bytes(data[:at] + insert + data[at:])
    (doc,), quarantined, counters = _read("gutenberg", path)
    assert not quarantined
    return doc, counters


def test_a_big5_book_is_read_as_cp950_where_both_read_it(shared_data, tmp_path, classic):
    """pg24265 (紅樓夢): C7E4 is cp950's `ы` and Big5-HKSCS's `ヨ`; both decoded the book, the mess
    ratio tied and the first label, HKSCS, won."""
    doc, _ = _book(tmp_path, classic, "Big5", b"\xc7\xe4")
    assert doc.metadata["encoding"] == "cp950" and "ы" in doc.text and "ヨ" not in doc.text
    assert doc.text.replace("ы", "", 1) == classic


def test_big5_hkscs_where_its_pairs_are_needed_or_named(shared_data, tmp_path, classic):
    """A Cantonese `嘅` (9DEF) is HKSCS's only: cp950 cannot read the book, HKSCS does; a label
    naming HKSCS is read in it."""
    doc, _ = _book(tmp_path, classic, "Big5", "嘅".encode("big5hkscs"))
    assert doc.metadata["encoding"] == "big5hkscs" and doc.text.replace("嘅", "", 1) == classic
    doc, _ = _book(tmp_path, classic, "Big5-HKSCS", b"\xc7\xe4")
    assert doc.metadata["encoding"] == "big5hkscs" and "ヨ" in doc.text


def test_a_damaged_big5_book_is_read_as_cp950_unless_hkscs_reads_more(shared_data, tmp_path, classic):
    """With a damaged byte (0x80: neither decodes it) both readings have one U+FFFD: cp950's. With
    an HKSCS pair too, HKSCS reads more of the book (one U+FFFD to cp950's two)."""
    doc, counters = _book(tmp_path, classic, "Big5", b"\x80\xc7\xe4")
    assert doc.metadata["encoding"] == "cp950" and doc.metadata["flags"] == ["decoded_lossy"]
    assert "ы" in doc.text and doc.text.count("\ufffd") == 1
    assert counters == {"gutenberg_decoded_lossy_books": 1}
    doc, _ = _book(tmp_path, classic, "Big5", b"\x80" + "嘅".encode("big5hkscs"))
    assert doc.metadata["encoding"] == "big5hkscs" and "嘅" in doc.text and doc.text.count("\ufffd") == 1


# -- text: LF line ends -----------------------------------------------------------------------------
def test_text_documents_have_lf_line_ends(tmp_path):
    """data/zh/sgyy_b.txt kept its CRLF: the same novel with LF was another document byte for byte.
    Lone CRs (classic Mac OS) are line ends too."""
    novel = "第一回\n\n宴桃園豪傑三結義\n斬黃巾英雄首立功\n"
    (tmp_path / "lf.txt").write_bytes(novel.encode())
    (tmp_path / "crlf.txt").write_bytes(novel.replace("\n", "\r\n").encode())
    (tmp_path / "cr.txt").write_bytes(novel.replace("\n", "\r").encode())
    texts = [_read("text", tmp_path / name)[0][0].text_str for name in ("lf.txt", "crlf.txt", "cr.txt")]
    assert texts == [novel] * 3
