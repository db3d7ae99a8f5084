"""The Gutenberg reader on real PG eBooks against the expected stripped texts; marker variants,
tables of contents, chapter packing, bad files; two editions of one book through minhash_dedup."""
import difflib
import gzip
import re
import textwrap
from pathlib import Path

import pytest

from pipeline.readers import Doc, Quarantined, ReadState
from pipeline.recipe import SourceConfig, load_recipe
from pipeline import read_documents
from pipeline.runner import Runner


def books(shared_data):
    return sorted((shared_data / "sources" / "books" / "gutenberg").glob("pg*.raw.txt.gz"))


def read(path, **kw):
    src = SourceConfig(name="books", format="gutenberg", paths=[str(path)], **kw)
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


def expected(raw_path: Path) -> str:
    """The sample's expected text (c-w/gutenberg strip_headers output), with the two differences we
    accept: LF line ends instead of CRLF, and no blank lines before the first and after the last line."""
    text = gzip.open(str(raw_path).replace(".raw.", ".clean."), "rb").read().decode("utf-8")
    return text.replace("\r\n", "\n").strip("\n").rstrip()


def test_equals_expected_stripped_text(shared_data):
    paths = books(shared_data)
    assert len(paths) == 7
    for p in paths:
        (doc,), quarantined, counters = read(p, drop_toc=False)
        assert not quarantined and counters == {}
        assert doc.text == expected(p), p.name
        number = int(re.search(r"pg(\d+)", p.name).group(1))
        assert doc.id == f"gutenberg:{number}" and doc.url == f"https://www.gutenberg.org/ebooks/{number}"
        assert doc.metadata["ebook_id"] == number and doc.metadata["title"] and doc.metadata["language"] == "English"
        assert "Project Gutenberg" not in doc.text[:2000] and "PROJECT GUTENBERG" not in doc.text[-3000:]


def test_table_of_contents_dropped_and_nothing_else(shared_data):
    with_toc = 0
    for p in books(shared_data):
        (doc,), _, counters = read(p)                   # drop_toc is on by default
        exp = expected(p).split("\n")
        got = doc.text.split("\n")
        ops = [op for op in difflib.SequenceMatcher(None, exp, got, autojunk=False).get_opcodes() if op[0] != "equal"]
        assert all(op[0] == "delete" for op in ops), p.name          # lines are only removed, never changed
        dropped = 0
        for _, a1, a2, _, _ in ops:
            block = [line for line in exp[a1:a2] if line.strip()]   # the diff may place a blank line either side
            dropped += len(block)
            assert re.match(r"^\s*(table of )?contents\.?\s*$", block[0], re.I), block[:2]
            assert max(len(line) for line in block) <= 120 and a2 - a1 <= 400
        if ops:
            with_toc += 1
            assert counters["gutenberg_toc_lines_dropped"] == dropped
    assert with_toc == 4
    # the chapters themselves stay: every CHAPTER heading of The Chain of Life is still there
    chain = next(p for p in books(shared_data) if "36261" in p.name)
    (doc,), _, _ = read(chain)
    assert [ln for ln in doc.text.split("\n") if ln.startswith("CHAPTER ")] == \
        [ln for ln in expected(chain).split("\n") if ln.startswith("CHAPTER ")]


def test_split_by_chapter_to_max_length(shared_data):
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    (whole,), _, _ = read(moon)
    parts, _, _ = read(moon, split_chapters=True, max_chars=60_000)
    assert len(parts) > 3 and all(len(d.text) <= 60_000 for d in parts)
    assert [d.metadata["part"] for d in parts] == list(range(len(parts)))
    assert [d.id for d in parts] == [f"gutenberg:1013#{i}" for i in range(len(parts))]
    # pieces start at chapter headings, and together they are the book
    assert all(d.text.startswith("Chapter ") for d in parts[1:])
    assert re.sub(r"\s+", "", whole.text) == re.sub(r"\s+", "", "".join(d.text for d in parts))
    small, _, _ = read(moon, split_chapters=True, max_chars=5_000)      # chapters longer than that are cut
    assert all(len(d.text) <= 5_000 for d in small) and len(small) > len(whole.text) // 5_000


# The PG header and footer as they were written over the years, around one book's text.
OLD_1990S = """The Project Gutenberg Etext of {title}

**Welcome To The World of Free Plain Vanilla Electronic Texts**

**Etexts Readable By Both Humans and By Computers, Since 1971**

*These Etexts Prepared By Hundreds of Volunteers and Donations*

Information on contacting Project Gutenberg to get Etexts, and
further information is included below.  We need your donations.

*****SMALL PRINT! for COPYRIGHT PROTECTED ETEXTS*****
[the licence]

*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*

This etext was prepared by Some Volunteer, somewhere.

{body}

End of The Project Gutenberg Etext of {title}
"""
NEW_2020S = """\ufeffThe Project Gutenberg eBook of {title}

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever.

Title: {title}

Author: H. G. Wells

Release date: October 1, 1997 [eBook #1013]
                Most recently updated: January 8, 2023

Language: English

Credits: Produced by Another Volunteer


*** START OF THE PROJECT GUTENBERG EBOOK {upper} ***
{body}

*** END OF THE PROJECT GUTENBERG EBOOK {upper} ***

Updated editions will replace the previous one—the old editions will
be renamed.
"""
TWO_LINE = """The Project Gutenberg eBook, {title}, by H. G. Wells

Title: {title}

***START OF THE PROJECT GUTENBERG EBOOK THE FIRST MEN IN
THE MOON***


E-text prepared by A Volunteer and the Project Gutenberg Online
Distributed Proofreading Team (http://www.pgdp.net)


{body}

***END OF THE PROJECT GUTENBERG EBOOK {upper}***
"""


@pytest.mark.parametrize("template", [OLD_1990S, NEW_2020S, TWO_LINE], ids=["1990s", "2020s", "two-line"])
def test_marker_variants(template, shared_data, tmp_path):
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    body = expected(moon)
    title = "The First Men In The Moon"
    path = tmp_path / "1013-variant.txt"
    path.write_text(template.format(title=title, upper=title.upper(), body=body), encoding="utf-8")
    (doc,), quarantined, counters = read(path, drop_toc=False)
    assert doc.text == body and not quarantined and counters == {}
    assert doc.metadata.get("ebook_id") == 1013


def test_a_closing_line_inside_the_book_does_not_end_it(shared_data, tmp_path):
    """A collection of e-texts keeps each one's "End of the Project Gutenberg EBook of …" line
    (as does a book quoting it): the footer begins at the starred END marker, or at such a line
    just before it, never at one further up (found by the source campaign, seed 14681)."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    body = expected(moon)
    paras = body.split("\n\n")
    half = len(paras) // 2
    inner = "\n\n".join(paras[:half] + ["End of the Project Gutenberg EBook of Part One, by H. G. Wells"]
                         + paras[half:])
    title = "The First Men In The Moon"
    path = tmp_path / "1013-collection.txt"
    path.write_text(NEW_2020S.format(title=title, upper=title.upper(), body=inner), encoding="utf-8")
    (doc,), _, _ = read(path, drop_toc=False)
    assert doc.text == inner
    # The usual closing line, two lines above the starred marker, still ends the book.
    path.write_text(NEW_2020S.format(title=title, upper=title.upper(),
                                     body=body + "\n\nEnd of the Project Gutenberg EBook of " + title),
                    encoding="utf-8")
    (doc,), _, _ = read(path, drop_toc=False)
    assert doc.text == body


def test_credits_worded_produced_from(shared_data, tmp_path):
    """A 2002 credit line "This etext was produced from the 1908 … edition by …" (nwsnw10.txt,
    News from Nowhere) was kept as the book's first paragraph: the pattern knew "produced by" only."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    body = expected(moon)
    title = "The First Men In The Moon"
    path = tmp_path / "1013-credits.txt"
    path.write_text(OLD_1990S.format(title=title, body=body).replace(
        "This etext was prepared by Some Volunteer, somewhere.",
        "This etext was produced from the 1908 Longmans, Green, and Co.\n"
        "edition by David Price, email ccx074@coventry.ac.uk"), encoding="utf-8")
    (doc,), _, _ = read(path, drop_toc=False)
    assert doc.text == body


# An early-2000s footer: the closing line, the starred END marker, then the old small print, which
# ends with a line worded as the 1990s START marker (7tcng10.txt, The Complete Angler).
FOOTER_2002 = """
End of Project Gutenberg's {title}, by H. G. Wells

*** END OF THE PROJECT GUTENBERG EBOOK {upper} ***

**The Legal Small Print**

(Three Pages)

***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN EBOOKS**START***
Why is this "Small Print!" statement here? You know: lawyers.

*END THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*
"""


def test_a_book_without_start_line_and_small_print_at_the_end(shared_data, tmp_path):
    """Without a START line, the closing "*END THE SMALL PRINT!…*END*" of the footer was taken for
    it: the book came out empty (quarantined empty_document). The book is kept, the footer cut,
    the missing marker counted and the header still read for the eBook number."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    body = expected(moon)
    title = "The First Men In The Moon"
    header = NEW_2020S.split("*** START")[0].format(title=title)
    path = tmp_path / "7tcng10.txt"
    path.write_text(header + body + "\n" + FOOTER_2002.format(title=title, upper=title.upper()), encoding="utf-8")
    (doc,), quarantined, counters = read(path, drop_toc=False)
    assert not quarantined and counters == {"gutenberg_no_start_marker": 1}
    assert doc.text.endswith(body) and "SMALL PRINT" not in doc.text and "END OF THE PROJECT" not in doc.text
    assert doc.id == "gutenberg:1013"


def test_bad_files(shared_data, tmp_path):
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read()
    binary = tmp_path / "pg1.txt"
    binary.write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)) * 8)
    _, q, _ = read(binary)
    assert [i.reason for i in q] == ["binary_file"]
    cut = tmp_path / "pg2.txt.gz"
    cut.write_bytes(moon.read_bytes()[:20_000])
    _, q, _ = read(cut)
    assert [i.reason for i in q] == ["corrupt_compression"]
    # Latin-1 file declaring its charset, and a file without any PG marker: read, and counted
    latin = tmp_path / "pg3.txt"
    latin.write_bytes(raw.replace(b"Character set encoding: ASCII", b"Character set encoding: ISO-8859-1")
                      .replace(b"THE FIRST MEN IN THE MOON\r\n\r\nby", "THE FIRST MEN IN THE MOON \u00e9\r\n\r\nby"
                               .encode("latin-1")))
    (doc,), _, _ = read(latin)
    assert doc.metadata["encoding"] == "cp1252" and "MOON \u00e9" in doc.text     # Latin-1 read as browsers do
    bare = tmp_path / "pg4.txt"
    bare.write_text("Just a text file.\n\nWith two paragraphs.\n")
    (doc,), _, counters = read(bare)
    assert doc.text == "Just a text file.\n\nWith two paragraphs."
    assert counters == {"gutenberg_no_start_marker": 1, "gutenberg_no_end_marker": 1}
    only_boilerplate = tmp_path / "pg5.txt"
    only_boilerplate.write_text("header\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n"
                                "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence\n")
    _, q, _ = read(only_boilerplate)
    assert [i.reason for i in q] == ["empty_document"]


def second_edition(raw: bytes) -> bytes:
    """Another edition of the same book, as PG has them: newer header and markers, LF line ends,
    re-wrapped paragraphs, some corrected words, a new preface."""
    text = raw.decode("utf-8").replace("\r\n", "\n")
    body = text[text.index("THE FIRST MEN IN THE MOON\n"):text.index("End of Project Gutenberg")]
    paras = [textwrap.fill(" ".join(p.split()), 62) for p in body.split("\n\n") if p.strip()]
    body = "\n\n".join(paras).replace("laboratory", "laboratorie").replace(" grey ", " gray ")
    preface = "PREFACE TO THIS EDITION\n\nThis edition follows the text of the first English edition."
    return NEW_2020S.format(title="The First Men in the Moon", upper="THE FIRST MEN IN THE MOON",
                            body=preface + "\n\n" + body).replace("eBook #1013", "eBook #60001").encode("utf-8")


@pytest.mark.long
def test_editions_deduplicated_through_runner(shared_data, tmp_path, ray_local):
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    other = next(p for p in books(shared_data) if "pg36261." in p.name)
    edition = tmp_path / "pg60001.txt"
    edition.write_bytes(second_edition(gzip.open(moon).read()))
    damaged = tmp_path / "pg2.txt.gz"
    damaged.write_bytes(other.read_bytes()[:10_000])
    recipe = tmp_path / "books.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: books-test
        seed: 1
        output: {tmp_path / 'run'}
        sources:
          - name: gutenberg
            format: gutenberg
            paths: [{moon}, {other}, {edition}, {damaged}]
        stages:
          - stage: minhash_dedup
            threshold: 0.7
        """))
    stats = Runner(load_recipe(recipe), quiet=True).run()
    ingest, dedup = stats["stages"]
    assert ingest["docs_out"] == 3 and ingest["quarantined"] == {"ingest/corrupt_compression": 1}
    assert dedup["removed"] == {"minhash_dedup/near_duplicate": 1}
    out = read_documents(stats)
    ids = sorted(i.split("/", 1)[1] for i in out.column("id").to_pylist())   # ids are source-prefixed
    assert "gutenberg:36261" in ids and len(ids) == 2
    assert len({"gutenberg:1013", "gutenberg:60001"} & set(ids)) == 1
    texts = out.column("text").to_pylist()
    assert not any("Project Gutenberg" in t[:1500] for t in texts)


def test_json_collections_the_chinese_classics(shared_data, tmp_path):
    """chinese-poetry's classics are JSON, not JSON Lines: an array of {chapter, paragraphs} or one
    such object. One document per object, the paragraphs joined by newlines, the title first."""
    import json
    from pipeline.readers import expand_paths, read_source_file
    folder = shared_data / "sources" / "books" / "zh_classics"
    src = SourceConfig(name="zh", format="json", paths=[str(folder)], text_field="paragraphs",
                       title_field="chapter")
    expected = []
    for path in sorted(folder.glob("*.json")):
        value = json.loads(path.read_text(encoding="utf-8"))
        objects = value if isinstance(value, list) else [value]
        expected += [o["chapter"] + "\n" + "\n".join(o["paragraphs"]) for o in objects]
    state = ReadState()
    docs = [i for p in expand_paths(str(folder)) for i in read_source_file(src, p, state)]
    assert all(isinstance(d, Doc) for d in docs) and [d.text for d in docs] == expected and len(docs) == 22
    assert docs[0].metadata["chapter"] and docs[0].id.endswith("daxue.json#1")
    # damage: a file cut short keeps its complete rows, the cut is one item; a bad object costs itself only
    (tmp_path / "broken.json").write_text('[{"paragraphs": ["a"]}, {"paragr', encoding="utf-8")
    (tmp_path / "mixed.json.gz").write_bytes(gzip.compress(json.dumps(
        [{"paragraphs": ["one", "two"]}, 7, {"paragraphs": ["x", 3]}, {"title": "none"}, {"paragraphs": "plain"}]
    ).encode()))
    out = {p.rsplit("/", 1)[1]: list(read_source_file(src, p, ReadState())) for p in expand_paths(str(tmp_path))}
    assert [getattr(i, "reason", None) or i.text for i in out["broken.json"]] == ["a", "truncated_json"]
    got = out["mixed.json.gz"]
    assert [getattr(i, "reason", None) or i.text for i in got] == \
        ["one\ntwo", "bad_row", "missing_text", "missing_text", "plain"]


def sentences(shared_data, lang: str, charset: str) -> str:
    """Real sentences of one language (shared/data/text/multilingual_sentences.tsv) that `charset`
    can encode, as paragraphs."""
    import csv
    with open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    out = []
    for code, text in rows:
        try:
            if code == lang and not re.search("[\x80-\x9f]", text):     # (one holds a C1 control)
                text.encode(charset)
                out.append(text)
        except UnicodeEncodeError:
            pass
    assert len(out) >= 40
    return "\n\n".join(out)


def legacy_book(shared_data, label: str | None, charset: str, lang: str) -> tuple[bytes, str]:
    """The First Men in the Moon as PG published it (its header says "Character set encoding:
    ASCII"), with a chapter of real sentences in another language added at its end, the label
    replaced (None: removed), and the whole re-encoded in `charset`; and the expected book text."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read().decode("utf-8")
    extra = sentences(shared_data, lang, charset)
    end = len(raw[:raw.index("End of Project Gutenberg")].rstrip("\r\n"))       # after the book's last line
    text = raw[:end] + "\r\n\r\n" + extra.replace("\n", "\r\n") + raw[end:]
    line = "Character set encoding: ASCII\r\n"
    assert line in text
    text = text.replace(line, "" if label is None else f"Character set encoding: {label}\r\n")
    return text.encode(charset), expected(moon) + "\n\n" + extra


@pytest.mark.parametrize("label,charset,lang,encoding", [
    (None, "cp1251", "ru", "cp1251"),                       # no label: detection
    ("ISO-8859-1", "cp1251", "ru", "cp1251"),               # a label the text is not in: detection
    ("ISO Latin-7 (Greek)", "iso8859-7", "el", "iso8859-7"),  # Latin-7 is ISO-8859-13; "(Greek)" says 8859-7
    ("ISO-8859-7 (Greek)", "iso8859-7", "el", "iso8859-7"),
    ("ISO Latin-1", "latin-1", "fr", "cp1252"),             # correctly declared: still right (cp1252 reads latin-1)
    ("Codepage 850", "cp850", "de", "cp850"),               # detectors read DOS and Mac code pages as cp1252
    ("MAC", "mac_roman", "fr", "mac-roman"),
    ("windows 1250", "cp1250", "cs", "cp1250"),
], ids=["cp1251-undeclared", "cp1251-labelled-latin1", "greek-latin7-label", "greek-8859-7-label", "latin1",
        "codepage-850", "mac", "windows-1250-spaced"])
def test_legacy_charsets_declared_loosely_or_not_at_all(label, charset, lang, encoding, shared_data, tmp_path):
    """A book in a legacy charset came out as cp1252 mojibake, unflagged, when its label was
    missing, wrong, or more than one word ("ISO Latin-7 (Greek)", "Codepage 850", "MAC": only the
    first word was looked up). The label is read whole and used when the text reads plausibly in
    it; otherwise the web reader's detection decides (counted)."""
    body, book = legacy_book(shared_data, label, charset, lang)
    path = tmp_path / "pg1013.txt"
    path.write_bytes(body)
    (doc,), quarantined, counters = read(path, drop_toc=False)
    assert not quarantined
    assert doc.metadata["encoding"] == encoding and doc.text == book
    detected = label is None or label == "ISO-8859-1"
    assert counters == ({"gutenberg_charset_detected_books": 1} if detected else {})
    assert "flags" not in doc.metadata


def test_utf16_book_is_transcoded_not_quarantined(shared_data, tmp_path):
    """A UTF-16 eBook (with its byte-order mark) was quarantined as binary_file for its NUL bytes."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read().decode("utf-8")
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        path = tmp_path / "pg1013.txt"
        body = raw.encode(codec)
        if codec == "utf-16-be":
            body = b"\xfe\xff" + body
        path.write_bytes(body)
        (doc,), quarantined, counters = read(path, drop_toc=False)
        assert not quarantined and doc.text == expected(moon), codec
        assert doc.metadata["encoding"].startswith(codec[:6]) and counters == {"gutenberg_wide_unicode_books": 1}
    # damaged (a lone surrogate): kept, with U+FFFD, flagged and counted
    body = raw.encode("utf-16")
    cut = len(body) // 2 & ~1
    path.write_bytes(body[:cut] + "\ud800".encode("utf-16-le", "surrogatepass") + body[cut:])
    (doc,), quarantined, counters = read(path, drop_toc=False)
    assert not quarantined and doc.metadata["flags"] == ["decoded_lossy"] and "\ufffd" in doc.text
    assert counters == {"gutenberg_wide_unicode_books": 1, "gutenberg_decoded_lossy_books": 1}
    # NUL bytes without a byte-order mark or UTF-16 pattern: still binary
    path.write_bytes(raw.encode("utf-8")[:5000] + b"\x00\x01\x02" * 100 + raw.encode("utf-8")[5000:])
    _, quarantined, _ = read(path)
    assert [q.reason for q in quarantined] == ["binary_file"]


def test_header_field_names_in_any_case(shared_data, tmp_path):
    """The current header writes "Release date: June 1, 1998 [eBook #1234]"; the field was read
    only as "Release Date"."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read()
    assert b"Release Date: October 20, 2004 [EBook #1013]" in raw
    path = tmp_path / "book.txt"
    path.write_bytes(raw.replace(b"Release Date: October 20, 2004 [EBook #1013]",
                                 b"Release date: October 20, 2004 [eBook #1013]\r\n"
                                 b"                Most recently updated: January 8, 2023")
                     .replace(b"Title: ", b"TITLE: "))
    (doc,), _, _ = read(path)
    assert doc.metadata["release_date"] == "October 20, 2004" and doc.metadata["ebook_id"] == 1013
    assert doc.metadata["title"] == "The First Men In The Moon"


# An 8-bit PG eBook of the 2000s, as the Chinese, Japanese and Korean ones were published (CRLF).
CJK_8BIT = """The Project Gutenberg EBook of {title}

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.

Title: {title}

Release Date: March 5, 2008 [EBook #24265]

Language: {language}
{label}
*** START OF THIS PROJECT GUTENBERG EBOOK {title} ***

{body}

*** END OF THIS PROJECT GUTENBERG EBOOK {title} ***

This file should be named 24265-8.txt or 24265-8.zip
"""


def cjk_paragraphs(shared_data, charset: str, codec: str) -> str:
    """Real paragraphs that `charset` encodes and `codec` (what the reader reads it as) decodes back:
    Traditional Chinese (the Great Learning and the Doctrine of the Mean) for Big5, Simplified (the
    Analects) for GBK and GB18030, two Japanese news articles for Shift_JIS and EUC-JP, Korean
    sentences for EUC-KR."""
    import json
    classics = shared_data / "sources" / "books" / "zh_classics"

    def chapters(name):
        data = json.loads((classics / name).read_text(encoding="utf-8"))
        return [p for ch in (data if isinstance(data, list) else [data]) for p in ch["paragraphs"]]
    if charset == "big5":
        paras = chapters("daxue.json") + chapters("zhongyong.json")
    elif charset.startswith("gb"):
        paras = chapters("lunyu.json")
    elif charset in ("shift_jis", "euc_jp"):
        txt = shared_data / "zh" / "html" / "newspaper4k" / "txt"
        paras = [p for name in ("japanese_article2.txt", "japanese_article.txt")
                 for p in (txt / name).read_text(encoding="utf-8").split("\n\n")]
    else:
        paras = sentences(shared_data, "ko", charset).split("\n\n")
    kept = []
    for p in paras:
        try:
            if p.strip() and p.encode(charset).decode(codec) == p:
                kept.append(p.strip())
        except UnicodeEncodeError:
            pass
    assert len(kept) >= 5
    return "\n\n".join(kept[:15])


@pytest.mark.parametrize("charset,label,codec,language", [
    ("big5", "BIG5", "cp950", "Chinese"),
    ("big5", None, "big5hkscs", "Chinese"),
    ("big5", "ISO-8859-1", "big5hkscs", "Chinese"),          # a wrong label: detection
    ("gbk", "GBK", "gb18030", "Chinese"),
    ("gbk", None, "gb18030", "Chinese"),
    ("gb18030", "GB18030", "gb18030", "Chinese"),
    ("gb18030", None, "gb18030", "Chinese"),
    ("shift_jis", "Shift_JIS", "cp932", "Japanese"),
    ("shift_jis", None, "cp932", "Japanese"),
    ("euc_jp", "EUC-JP", "euc_jp", "Japanese"),
    ("euc_jp", None, "euc_jp", "Japanese"),
    ("euc_kr", "EUC-KR", "cp949", "Korean"),
    ("euc_kr", None, "cp949", "Korean"),
], ids=lambda v: str(v))
def test_cjk_books_in_legacy_charsets(charset, label, codec, language, shared_data, tmp_path):
    """A book in Big5, GBK/GB18030, Shift_JIS, EUC-JP or EUC-KR came out as cp1252 mojibake,
    unflagged ("utf-8+cp1252"), even when its label said what it was: its pairs form valid UTF-8
    sequences by chance, so it passed as UTF-8 with stray bytes, which went before the label. A
    declared multi-byte charset that reads the book now goes first, and without it the UTF-8
    reading needs its stray bytes to be rare beside the valid sequences (here there are 4 to 9
    stray bytes to each), so that detection decides."""
    body = cjk_paragraphs(shared_data, charset, codec)
    raw = CJK_8BIT.format(title="Book", language=language, body=body,
                          label="" if label is None else f"Character set encoding: {label}\n")
    path = tmp_path / "24265-8.txt"
    path.write_bytes(raw.replace("\n", "\r\n").encode(charset))
    (doc,), quarantined, counters = read(path)
    assert not quarantined
    assert doc.text == body and doc.metadata["encoding"] == codec and "flags" not in doc.metadata
    detected = label is None or label == "ISO-8859-1"
    assert counters == ({"gutenberg_charset_detected_books": 1} if detected else {})


def test_a_damaged_byte_in_a_labelled_cjk_book(shared_data, tmp_path):
    """A labelled Big5 book with a byte that is no Big5 (damage) or a pair only Windows' Big5 has
    (cp950's euro sign): the label reads it, with U+FFFD for the damage (lossy, flagged). Before,
    it passed as UTF-8 with stray bytes; with that reading refused and the label read strictly
    only, detection found no charset that decodes it strictly and took windows-1252."""
    body = cjk_paragraphs(shared_data, "big5", "big5hkscs")
    raw = CJK_8BIT.format(title="Book", language="Chinese", body=body, label="Character set encoding: BIG5\n")
    data = raw.replace("\n", "\r\n").encode("big5")
    cut = data.index("。".encode("big5"), len(data) // 2)
    path = tmp_path / "24265-8.txt"
    path.write_bytes(data[:cut] + b"\x80" + data[cut:])
    (doc,), _, counters = read(path)
    assert doc.metadata["encoding"] == "cp950" and doc.metadata["flags"] == ["decoded_lossy"]
    assert doc.text.replace("\ufffd", "", 1) == body and doc.text.count("\ufffd") == 1
    assert counters == {"gutenberg_decoded_lossy_books": 1}
    path.write_bytes(data[:cut] + "€".encode("cp950") + data[cut:])
    (doc,), _, counters = read(path)
    assert doc.metadata["encoding"] == "cp950" and "flags" not in doc.metadata and counters == {}
    assert doc.text.replace("€", "", 1) == body


def test_utf8_books_with_stray_bytes_stay_utf8(shared_data, tmp_path):
    """What the UTF-8-with-stray-bytes reading is for still reads so ("utf-8+cp1252", the stray
    bytes as cp1252): a Chinese UTF-8 book with a windows-1252 line pasted in, under a UTF-8 label
    or the Big5/GB2312 label of the 8-bit edition it was converted from (the label does not read
    it: UTF-8 is not Big5 or GB2312), and a French UTF-8 book with a windows-1252 chapter of four
    paragraphs holding more stray bytes than the book has UTF-8 characters (its stray bytes lie
    among ASCII, in no run with a valid sequence)."""
    chinese = cjk_paragraphs(shared_data, "gbk", "gb18030")
    pasted = "Caf\u00e9 na\u00efve \u2013 d\u00e9j\u00e0 vu"
    french = sentences(shared_data, "fr", "cp1252").split("\n\n")
    cases = [("UTF-8", chinese, pasted), ("BIG5", chinese, pasted), ("GB2312", chinese, pasted),
             (None, "\n\n".join(french[:6]), "\n\n".join(" ".join(french[i:i + 5]) for i in range(6, 26, 5)))]
    for label, book, stray in cases:
        raw = CJK_8BIT.format(title="Book", language="Chinese", body=book + "\n\nSTRAY\n\n" + book,
                              label="" if label is None else f"Character set encoding: {label}\n")
        path = tmp_path / "24265-0.txt"
        path.write_bytes(raw.encode("utf-8").replace(b"STRAY", stray.encode("cp1252")))
        (doc,), _, counters = read(path)
        assert doc.metadata["encoding"] == "utf-8+cp1252", label
        assert doc.text == book + "\n\n" + stray + "\n\n" + book
        assert counters == {"gutenberg_stray_non_utf8_books": 1}


def zipped(path: Path, members: dict) -> Path:
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("layout", ["flat", "folder", "several", "largest", "object-store"])
def test_zipped_books(layout, shared_data, tmp_path):
    """PG ships a book as a .zip too, with its text at the top (12-0.zip) or in a folder
    (17491-8.zip: "17491-8/", then "17491-8/17491-8.txt"). fsspec's compression inferred from the
    name read the first member, the empty folder: empty_document, the book lost. The .txt member
    is read: of several, the one named as the zip, else the largest; on an object store too."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read()
    members = {
        "flat": {"1013-8.txt": raw},
        "folder": {"1013-8/": b"", "1013-8/1013-8.txt": raw},
        "several": {"1013-8/": b"", "1013-8/readme.txt": b"About this file.\n" * 20_000,
                    "1013-8/1013-8.txt": raw, "1013-8/images/cover.jpg": b"\xff\xd8\xff" + bytes(500)},
        "largest": {"etext/notes.txt": b"Notes.\n", "etext/moon.txt": raw},
        "object-store": {"1013-8/": b"", "1013-8/1013-8.txt": raw},
    }[layout]
    path = zipped(tmp_path / "1013-8.zip", members)
    if layout == "object-store":
        import fsspec
        fs = fsspec.filesystem("memory")
        fs.pipe("/books/1013-8.zip", path.read_bytes())
        path = "memory://books/1013-8.zip"
    try:
        (doc,), quarantined, counters = read(path, drop_toc=False)
    finally:
        if layout == "object-store":
            fs.rm("/books", recursive=True)
    assert not quarantined and counters == {}
    assert doc.text == expected(moon) and doc.metadata["ebook_id"] == 1013


def test_zips_without_a_text_member(shared_data, tmp_path):
    """A zip of PG's HTML edition (1013-h.zip), of no text at all, or damaged: quarantined, saying why."""
    html = zipped(tmp_path / "1013-h.zip", {"1013-h/": b"", "1013-h/images/cover.jpg": b"\xff\xd8\xff" + bytes(50),
                                             "1013-h/1013-h.htm": b"<html><body><p>The book.</p></body></html>"})
    _, (q,), _ = read(html)
    assert q.reason == "no_text_member" and "HTML edition (1013-h/1013-h.htm)" in q.detail
    empty = zipped(tmp_path / "1013-8.zip", {"1013-8/": b"", "1013-8/cover.jpg": b"\xff\xd8\xff"})
    _, (q,), _ = read(empty)
    assert q.reason == "no_text_member" and "1013-8/cover.jpg" in q.detail
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    whole = zipped(tmp_path / "1013-0.zip", {"1013-0.txt": gzip.open(moon).read()}).read_bytes()
    (tmp_path / "1013-0.zip").write_bytes(whole[:len(whole) // 2])      # a download cut short
    _, (q,), _ = read(tmp_path / "1013-0.zip")
    assert q.reason == "corrupt_archive"


def test_a_declared_multibyte_charset_goes_before_the_utf8_reading(shared_data, tmp_path):
    """An English book in Big5 that names a few people in Chinese, whose Big5 pairs happen to be
    valid UTF-8 sequences (羅 is C3 B9 in Big5, "ù" in UTF-8) but one: by the bytes alone it is
    UTF-8 with one stray byte, and so it was read (the names as Latin letters). The label says
    Big5, and Big5 reads it strictly: the label goes first, as for a LaTeX file under a CJK inputenc."""
    moon = next(p for p in books(shared_data) if "pg1013." in p.name)
    raw = gzip.open(moon).read().decode("utf-8")
    names = "The names: \u7f85 (Luo), \u8607 (Su), \u77bf (Qu), \u77bb (Zhan), and \u4e00 (Yi)."
    end = len(raw[:raw.index("End of Project Gutenberg")].rstrip("\r\n"))
    text = raw[:end] + "\r\n\r\n" + names + raw[end:]
    text = text.replace("Character set encoding: ASCII", "Character set encoding: BIG5")
    path = tmp_path / "pg1013.txt"
    path.write_bytes(text.encode("big5"))
    (doc,), _, counters = read(path, drop_toc=False)
    assert doc.metadata["encoding"] == "cp950" and counters == {}
    assert doc.text == expected(moon) + "\n\n" + names


def test_a_book_in_iso2022_jp_is_read_in_it_not_as_utf8(shared_data, tmp_path):
    """ISO-2022-JP is 7-bit: strict UTF-8 took it, and the book's Japanese came out as escape
    sequences (ESC $ B ...), unflagged."""
    body = cjk_paragraphs(shared_data, "shift_jis", "cp932")
    body = "\n\n".join(p for p in body.split("\n\n") if p.encode("iso2022_jp", "ignore").decode("iso2022_jp") == p)
    raw = CJK_8BIT.format(title="Book", language="Japanese", body=body, label="Character set encoding: ISO-2022-JP\n")
    path = tmp_path / "24265-8.txt"
    path.write_bytes(raw.replace("\n", "\r\n").encode("iso2022_jp"))
    (doc,), quarantined, _ = read(path)
    assert not quarantined and doc.text == body and doc.metadata["encoding"].startswith("iso2022_jp")
    assert "\x1b" not in doc.text


def test_books_joined_in_one_file_are_each_read(shared_data, tmp_path):
    """Two PG files joined with `cat` (gzip members or plain text): the second book, with its own
    header and START marker, was dropped with the first one's licence, uncounted."""
    raws = [gzip.decompress(p.read_bytes()) for p in sorted((shared_data / "sources" / "books" / "gutenberg")
                                                              .glob("pg*.raw.txt.gz"))]
    assert len(raws) >= 2
    alone = []
    for i, raw in enumerate(raws[:2]):
        (tmp_path / f"alone{i}.txt").write_bytes(raw)
        alone += [(d.id, d.text_str) for d in read(tmp_path / f"alone{i}.txt")[0]]
    for name, data in (("joined.txt", raws[0] + raws[1]),
                       ("joined.txt.gz", gzip.compress(raws[0]) + gzip.compress(raws[1]))):
        (tmp_path / name).write_bytes(data)
        docs, q, counters = read(tmp_path / name)
        assert [(d.id, d.text_str) for d in docs] == alone and not q
        assert counters["gutenberg_joined_books"] == 2


@pytest.mark.parametrize("body", [b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
                                  b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                                  b'<Message>Access Denied</Message></Error>',
                                  b'{"error": "rate limited", "retry_after": 60}'])
def test_an_error_page_saved_as_a_book_is_not_a_book(tmp_path, body):
    (tmp_path / "pg10026.txt").write_bytes(body)
    docs, q, _ = read(tmp_path / "pg10026.txt")
    assert not docs and [i.reason for i in q] == ["not_a_book"]
    # a short text without markers that is no markup stays a document (a PG text cut by hand)
    (tmp_path / "pg1.txt").write_text("The Raven\n\nOnce upon a midnight dreary, while I pondered, weak and weary.\n")
    assert len(read(tmp_path / "pg1.txt")[0]) == 1


def test_a_chinese_books_table_of_contents_ends_at_its_first_chapter(tmp_path):
    """Chinese PG texts put each paragraph on one line: the prose rules (long lines, blocks of
    three) saw no prose, and the TOC ran on into the book (28% of a sample book dropped as TOC
    lines, chapter 1 with its heading). The TOC ends where its first entry comes again."""
    entries = ["第一回　甄士隱夢幻識通靈　賈雨村風塵懷閨秀", "第二回　賈夫人仙逝揚州城　冷子興演說榮國府",
               "第三回　托內兄如海酬訓教　接外孫賈母惜孤女"]
    paragraph = "此開卷第一回也。作者自云：因曾歷過一番夢幻之後，故將真事隱去，而借通靈之說，撰此石頭記一書也。"
    chapters = "\n\n".join(f"{e}\n\n" + "\n\n".join([paragraph] * 6) for e in entries)
    body = "紅樓夢\n\n曹雪芹\n\n目錄\n\n" + "\n".join(entries) + "\n\n\n" + chapters
    title = "Hung Lou Meng"
    path = tmp_path / "24264.txt"
    path.write_text(NEW_2020S.format(title=title, upper=title.upper(), body=body), encoding="utf-8")
    (doc,), _, counters = read(path)
    assert counters["gutenberg_toc_lines_dropped"] == 4                  # the heading and its 3 entries
    assert doc.text == ("紅樓夢\n\n曹雪芹\n\n" + chapters).strip() or doc.text.endswith(chapters)
    assert [ln for ln in doc.text.split("\n") if ln.startswith("第")] == entries


def _short_book(tmp_path, body: str, name: str = "70001.txt"):
    path = tmp_path / name
    title = "Verses"
    path.write_text(NEW_2020S.format(title=title, upper=title.upper(), body=body), encoding="utf-8")
    return read(path)


POEMS = [("Song of the Sea", "The sea is calling, calling me,\nAcross the sand and over the lee;"),
         ("The Lamp", "A lamp is lit at the window pane,\nAnd burns all night in the wind and rain."),
         ("Evening", "The evening falls on field and fold,\nThe sky is red and the air is cold.")]


def test_a_toc_with_page_numbers_ends_at_its_first_poem(tmp_path):
    """A book of short poems lists its entries with page numbers ("Song of the Sea      1"); the
    first entry's heading ("SONG OF THE SEA") never equalled it, short verse lines are no prose, and
    the TOC ran to the book's end: the book came out as its title, the poems counted as TOC lines."""
    toc = "\n".join(f"  {title:<20} {2 * i + 1}" for i, (title, _) in enumerate(POEMS))
    poems = "\n\n".join(f"{title.upper()}\n\n{verse}" for title, verse in POEMS)
    (doc,), _, counters = _short_book(tmp_path, f"VERSES\n\nBY MARY GREEN\n\n\nCONTENTS\n\n{toc}\n\n{poems}")
    assert counters["gutenberg_toc_lines_dropped"] == 1 + len(POEMS)         # the heading and its entries
    assert doc.text == f"VERSES\n\nBY MARY GREEN\n\n\n{poems}"


def test_a_toc_that_would_run_to_the_books_end_is_no_toc(tmp_path):
    """When the TOC's end is not found (entries never repeated as headings, all lines short), a
    list running to the end of a short book is the book: nothing is dropped."""
    body = "THE PLAY\n\nCONTENTS\n\nAct I\nAct II\n\nHAMLET. Who is there?\nOPHELIA. It is I, my lord.\n\n" \
           "HAMLET. Come in, then.\nOPHELIA. I will."
    (doc,), _, counters = _short_book(tmp_path, body)
    assert "gutenberg_toc_lines_dropped" not in counters
    assert doc.text == body


def test_a_toc_at_the_end_of_a_long_book_is_still_dropped(tmp_path):
    chapters = "\n\n".join(f"CHAPTER {n}\n\n" + ("This is a sentence of the story that goes on and on. " * 40)
                           for n in ("I", "II", "III"))
    body = f"THE STORY\n\n{chapters}\n\n\nCONTENTS\n\n   CHAPTER I\n   CHAPTER II\n   CHAPTER III\n"
    (doc,), _, counters = _short_book(tmp_path, body)
    assert counters["gutenberg_toc_lines_dropped"] == 4
    assert doc.text == f"THE STORY\n\n{chapters}".rstrip()


def test_produced_or_prepared_by_inside_the_books_first_sentence_is_no_credit(tmp_path):
    """The credits rule matched "prepared by" anywhere in the paragraphs after the START line: a
    book whose first paragraph says it was "prepared by the Author for the Historical Society" lost
    it. A credit line opens with the words (or names the e-text)."""
    first = "A SKETCH OF THE TOWN OF HOLLIS,\nprepared by the Author for the Historical Society."
    rest = "The town lies on the river. " * 20
    (doc,), _, _ = _short_book(tmp_path, f"Produced by Jane Doe and the Online Distributed\nProofreading Team\n\n\n"
                                         f"{first}\n\n{rest}")
    assert doc.text.startswith(first)
