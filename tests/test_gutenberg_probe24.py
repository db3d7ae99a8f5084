"""The Gutenberg reader on what a probe of its inputs found: HTML editions named by a glob, file
names with a digit that are no PG names, tables of contents before a poem or a cast list, and a
PG header left at the top of a book whose START line is missing."""
from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig
from test_source_books import read  # its tests' reader helper

LICENCE = """\
This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever."""
FOOTER = """

*** END OF THE PROJECT GUTENBERG EBOOK {upper} ***

Updated editions will replace the previous one—the old editions will
be renamed.
"""


def read_source(root):
    """Every file under `root` as a run reads a folder in `paths`: (docs, quarantined)."""
    src = SourceConfig(name="books", format="gutenberg", paths=[str(root)])
    docs, quarantined = [], []
    for f in sorted(expand_paths(str(root))):
        for item in read_source_file(src, f, ReadState()):
            (docs if isinstance(item, Doc) else quarantined).append(item)
    return docs, quarantined


def pg_book(number: int, title: str, body: str) -> str:
    """A 2020s PG text: header, START marker, the book, END marker and the licence's opening."""
    return (f"\ufeffThe Project Gutenberg eBook of {title}\n\n{LICENCE}\n\nTitle: {title}\n\nAuthor: Some Author\n\n"
            f"Release date: May 1, 2004 [eBook #{number}]\n                Most recently updated: October 28, 2024\n\n"
            f"Language: English\n\nCredits: Produced by Distributed Proofreaders\n\n\n"
            f"*** START OF THE PROJECT GUTENBERG EBOOK {title.upper()} ***\n\n\n\n\n{body}"
            + FOOTER.format(upper=title.upper()))


def html_edition(blank_lines: bool) -> str:
    """PG's generated HTML edition (cache/epub/N/pgN-images.html), longer than an error page."""
    sep = "\n\n" if blank_lines else "\n"
    paras = sep.join(f"<p>Call me Ishmael. Some years ago, never mind how long precisely, paragraph {i}.</p>"
                     for i in range(400))
    return ('<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\n<head><meta charset="utf-8"/>'
            "<title>The Project Gutenberg eBook of Moby Dick</title></head>\n<body>\n"
            '<section class="pg-boilerplate pgheader" id="pg-header"><div>This ebook is for the use of anyone '
            'anywhere.</div>\n<div id="pg-start-separator"><span>*** START OF THE PROJECT GUTENBERG EBOOK MOBY DICK '
            f"***</span></div></section>\n<h1>MOBY-DICK</h1>{sep}{paras}{sep}"
            '<section id="pg-footer"><div id="pg-end-separator"><span>*** END OF THE PROJECT GUTENBERG EBOOK MOBY '
            "DICK ***</span></div></section>\n</body></html>\n")


def test_an_html_edition_is_quarantined_at_any_size(tmp_path):
    """pg2701-images.html, reached by a glob (cache/epub/*/*) or named, was read as a book of <p>
    markup (only a text under 16 KB was checked for markup), and a copy without blank lines came
    out `empty_document`. An HTML document is never read as a book: PG's HTML edition is
    `html_edition`, as the zip path and a mirror folder leave HTML editions out; a long XML
    document (an RDF record) is `not_a_book`."""
    for i, blank_lines in enumerate((True, False)):
        path = tmp_path / "cache" / "epub" / str(2701 + i) / f"pg{2701 + i}-images.html"
        path.parent.mkdir(parents=True)
        path.write_text(html_edition(blank_lines), encoding="utf-8")
        assert path.stat().st_size > 16384
    docs, quarantined = read_source(f"{tmp_path}/cache/epub/*/*")
    assert not docs and [q.reason for q in quarantined] == ["html_edition"] * 2
    assert all("HTML edition" in q.detail for q in quarantined)
    rdf = tmp_path / "pg2701.rdf.txt"
    rdf.write_text('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF>\n'
                   + "<dcterms:subject>Whaling -- Fiction</dcterms:subject>\n" * 600 + "</rdf:RDF>\n")
    docs, quarantined, _ = read(rdf)
    assert not docs and [q.reason for q in quarantined] == ["not_a_book"]


def test_a_digit_in_a_file_name_is_no_ebook_number(tmp_path):
    """Any name with a digit gave an eBook id: a/Volume 1.txt and b/Volume 1.txt both became
    `gutenberg:1`, with eBook 1's URL, and a 1984.txt that is no PG text eBook 1984. The number
    comes from the header, or a PG text's PG file name; else the id is the file's path, with no
    URL, and no edition beside it is named as preferred."""
    prose = "\n\n".join(["The sea was calm that morning and the boat sailed far away from the harbour."] * 20)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Volume 1.txt").write_text(f"THE SEA\n\nby A. Writer\n\n{prose}\n")
    (tmp_path / "1984.txt").write_text(f"NINETEEN EIGHTY-FOUR\n\n{prose}\n")
    (tmp_path / "1984-0.txt").write_text(f"NOTES ON NINETEEN EIGHTY-FOUR\n\n{prose}\n")
    docs, quarantined = read_source(tmp_path)
    assert not quarantined and len(docs) == 4
    assert len({d.id for d in docs}) == 4 and not any("gutenberg:" in d.id for d in docs)
    assert all(d.url is None and d.metadata["ebook_id"] is None for d in docs)
    assert not any("other_edition" in d.metadata.get("flags", ()) for d in docs)
    # a PG text keeps its header's number whatever the file is called
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Volume 2.txt").write_text(pg_book(3003, "The Sea", prose), encoding="utf-8")
    (doc,), _, _ = read(tmp_path / "c" / "Volume 2.txt")
    assert doc.id == "gutenberg:3003" and doc.url == "https://www.gutenberg.org/ebooks/3003"


POEMS = [("The Tyger", "Tyger Tyger, burning bright,\nIn the forests of the night;\nWhat immortal hand or eye,\n"
                       "Could frame thy fearful symmetry?"),
         ("The Lamb", "Little Lamb who made thee\nDost thou know who made thee\nGave thee life & bid thee feed,\n"
                      "By the stream & o'er the mead;"),
         ("London", "I wander thro' each charter'd street,\nNear where the charter'd Thames does flow,\n"
                    "And mark in every face I meet\nMarks of weakness, marks of woe."),
         ("The Sick Rose", "O Rose thou art sick.\nThe invisible worm,\nThat flies in the night\n"
                           "In the howling storm:")]


def test_a_poetry_books_contents_end_at_its_first_poem(tmp_path):
    """The contents list "The Tyger", the poem is headed "THE TYGER.": the TOC's end (its first
    entry met again as a heading) was not found, and the TOC ran on through the first poem to the
    next three blank lines (14 lines dropped, the poem with them). Headings match in any case and
    without closing punctuation."""
    toc = "\n".join(f"  {title}" for title, _ in POEMS)
    poems = "\n\n\n\n\n".join(f"{title.upper()}.\n\n{verse}" for title, verse in POEMS)
    path = tmp_path / "3002-0.txt"
    path.write_text(pg_book(3002, "Songs of Testing", f"SONGS OF TESTING\n\nBy Some Author\n\n\n\n\nCONTENTS\n\n"
                            f"{toc}\n\n\n{poems}"), encoding="utf-8")
    (doc,), _, counters = read(path)
    assert "CONTENTS" not in doc.text and "  The Lamb" not in doc.text
    assert "THE TYGER.\n\nTyger Tyger, burning bright," in doc.text and doc.text.endswith(POEMS[-1][1])
    assert counters["gutenberg_toc_lines_dropped"] == 1 + len(POEMS)        # the heading and its entries


def test_a_plays_contents_leave_its_cast_list(tmp_path):
    """A play's Dramatis Personae after its contents (two blank lines between them) was taken for
    more entries until the first act's heading repeated the first entry: the cast list was
    dropped with the TOC. A list of persons' heading ends the contents."""
    cast = "Dramatis Personæ\n\nDUKE, ruler of the city.\nANTONIO, his brother.\nMIRANDA, a lady."
    acts = ("ACT I\n\nSCENE I. A room.\n\n Enter DUKE and ANTONIO.\n\nDUKE.\nGood morrow, brother. What news?\n\n"
            "ANTONIO.\nNone, my lord, save that the rain is falling.\n\n\nACT II\n\nSCENE I. A garden.\n\n"
            " Enter DUKE.\n\nDUKE.\nSo ends our play.")
    toc = " ACT I\n Scene I. A room.\n Scene II. A street.\n ACT II\n Scene I. A garden."
    path = tmp_path / "3001-0.txt"
    path.write_text(pg_book(3001, "The Tragedy of Testing",
                            f"THE TRAGEDY OF TESTING\n\n\n\n\nContents\n\n{toc}\n\n\n{cast}\n\n\n{acts}"),
                    encoding="utf-8")
    (doc,), _, counters = read(path)
    assert "Contents" not in doc.text and "Scene II. A street." not in doc.text
    assert f"{cast}\n\n\n{acts}" in doc.text
    assert counters["gutenberg_toc_lines_dropped"] == 6                    # the heading and its 5 entries


KAFKA = """\
The Project Gutenberg EBook of Die Verwandlung, by Franz Kafka

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.  You may copy it, give it away or
re-use it under the terms of the Project Gutenberg License included
with this eBook or online at www.gutenberg.org


Title: Die Verwandlung

Author: Franz Kafka

Release Date: August 1, 2005 [EBook #5001]

Language: German

Character set encoding: ISO-8859-1

[This file was first posted on August 1, 2005]


Produced by Jana Srna, Norbert H. Langkau and the Online
Distributed Proofreading Team at http://www.pgdp.net


{body}


End of the Project Gutenberg EBook of Die Verwandlung, by Franz Kafka

*** END OF THIS PROJECT GUTENBERG EBOOK DIE VERWANDLUNG ***
"""
BODY = """\
Die Verwandlung

Franz Kafka


I

Als Gregor Samsa eines Morgens aus unruhigen Träumen erwachte, fand er
sich in seinem Bett zu einem ungeheueren Ungeziefer verwandelt."""


def test_a_pg_header_without_a_start_line_is_stripped(tmp_path):
    """A book whose START line is missing kept PG's header as its first page (the licence blurb,
    Title:, Release Date: … [EBook #5001], Character set encoding:, the credits). A block of PG's
    header paragraphs at the top is cut; the fields are still read. A text that only begins with
    a field-like line, without PG's title line or licence, is left whole."""
    path = tmp_path / "5001.txt"
    path.write_bytes(KAFKA.format(body=BODY).encode("latin-1"))
    (doc,), quarantined, counters = read(path)
    assert not quarantined and doc.text == BODY
    assert doc.id == "gutenberg:5001" and doc.metadata["title"] == "Die Verwandlung"
    assert counters["gutenberg_no_start_marker"] == 1
    notes = tmp_path / "notes.txt"
    notes.write_text(f"Title: Some notes of mine\n\nAuthor: Me\n\n{BODY}\n")
    (doc,), _, _ = read(notes)
    assert doc.text.startswith("Title: Some notes of mine\n\nAuthor: Me\n\nDie Verwandlung")


def test_one_markup_check_gives_every_verdict_on_markup_in_a_books_place():
    """markup_document is the reader's one check that a file is markup, not a book: an HTML or XML
    document at any size, and a short text opening with a tag or a brace without Gutenberg markers
    (what an older check in the book's reading caught); a book, even one opening with a tag, is None."""
    from pipeline.readers.gutenberg import markup_document
    marker = "*** START OF THE PROJECT GUTENBERG EBOOK X ***"

    def verdict(text):
        q = markup_document("f.txt", text)
        return q and (q.reason, q.detail.split(": ", 1)[1][:12], q.size)

    assert verdict(f"<!DOCTYPE html>\n<html><body><span>{marker}</span>" + "<p>x</p>\n" * 4000) == \
        ("html_edition", "a Project Gu", 36087)
    assert verdict("<?xml version='1.0'?>\n<rdf:RDF>" + "<x/>\n" * 4000) == ("not_a_book", "an XML docum", 20031)
    assert verdict("<Error>\r\n<Code>NoSuchKey</Code>\r\n</Error>\r\n") == ("not_a_book", "a short HTML", 40)
    assert verdict('  {"error": "not found"}') == ("not_a_book", "a short HTML", 24)
    assert verdict("<p>x</p>\r\n" * 1700) == ("not_a_book", "a short HTML", 15300)    # short once its CRs go
    assert verdict("<p>x</p>\n" * 1900) is None             # longer than an error page
    assert verdict(f"<p>A preface</p>\n{marker}\nThe book.\n") is None
    assert verdict("CHAPTER I\n\nThe book.") is None
