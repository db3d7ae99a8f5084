"""The MediaWiki reader on what a Wikimedia dump download holds besides one pages-articles file:
pages-meta-history dumps (every revision of a page; only the last is read, memory bounded by
one revision), the folder's non-dump files (multistream index, checksums, dumpstatus.json) and
stub dumps (pages without text)."""
import bz2
import gzip
import random
from xml.sax.saxutils import escape

from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.readers.mediawiki_frames import frame_pages
from pipeline.recipe import SourceConfig

HEADER = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n'
          "  <siteinfo>\n    <sitename>Wikipedia</sitename>\n    <dbname>enwiki</dbname>\n"
          "    <base>https://en.wikipedia.org/wiki/Main_Page</base>\n    <namespaces>\n"
          '      <namespace key="0" case="first-letter" />\n'
          '      <namespace key="1" case="first-letter">Talk</namespace>\n    </namespaces>\n  </siteinfo>\n')
FOOTER = "</mediawiki>\n"


def revision(rid: int, text: str | None, stub: bool = False) -> str:
    body = (f'<text bytes="{len(text.encode())}" sha1="x" location="tt:{rid}" id="{rid}" />' if stub else
            f'<text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>')
    return (f"    <revision>\n      <id>{rid}</id>\n      <timestamp>2020-01-01T00:{rid % 60:02d}:00Z</timestamp>\n"
            f"      <contributor><username>U</username><id>1</id></contributor>\n      <comment>c</comment>\n"
            f"      <model>wikitext</model>\n      <format>text/x-wiki</format>\n      {body}\n"
            f"      <sha1>x</sha1>\n    </revision>\n")


def page(title: str, pid: int, revisions: list[str]) -> str:
    return (f"  <page>\n    <title>{escape(title)}</title>\n    <ns>0</ns>\n    <id>{pid}</id>\n"
            + "".join(revisions) + "  </page>\n")


def article(n: int, size: int) -> str:
    """The wikitext of revision n of an article, about `size` bytes."""
    line = f"'''Big''' is an article, edit {n}. Some sentence about the topic of the article.\n"
    return line * max(1, size // len(line))


def read(path, **kw):
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(path)], **kw)
    state, items = ReadState(), []
    for p in expand_paths(str(path)):
        items += read_source_file(src, p, state)
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


def history_dump(revisions: int, size: int) -> str:
    big = page("Big article", 77, [revision(1000 + n, article(n, size)) for n in range(revisions)])
    small = page("Small", 78, [revision(5000, "'''Small''' is short.")])
    return HEADER + big + small + FOOTER


# -- pages-meta-history ----------------------------------------------------------------------------
def test_a_history_page_over_max_doc_bytes_is_read_by_its_last_revision(tmp_path):
    """300 revisions of 2 KB (600 KB) under a 100 KB cap: the whole <page> was capped and the
    page lost as `too_large` (naming no page), though only its last revision is read. Now the
    page gives the document its last revision gives, alone in a pages-articles dump."""
    dump = history_dump(300, 2000)
    path = tmp_path / "enwiki-20240101-pages-meta-history1.xml-p1p100.bz2"
    path.write_bytes(bz2.compress(dump.encode()))
    docs, quarantined, counters = read(path, max_doc_bytes=100_000)
    assert not quarantined, [(q.reason, q.detail) for q in quarantined]
    assert [d.id for d in docs] == ["wiki/enwiki:77", "wiki/enwiki:78"]
    assert docs[0].metadata["revision_id"] == 1299 and "edit 299." in docs[0].text_str
    assert "edit 298." not in docs[0].text_str
    # the same as the page with its last revision only (a pages-articles dump)
    alone = tmp_path / "enwiki-20240101-pages-articles.xml"
    alone.write_text(HEADER + page("Big article", 77, [revision(1299, article(299, 2000))]) + FOOTER,
                     encoding="utf-8")
    (want,), _, _ = read(alone, max_doc_bytes=100_000)
    assert (docs[0].text_str, docs[0].metadata) == (want.text_str, want.metadata)


def test_an_oversized_last_revision_is_quarantined_naming_its_page(tmp_path):
    """The cap applies to the revision that is read (with the page's head): a page whose last
    revision is over it is one `too_large` item naming the page's title and id, with the id its
    document would have had; an earlier oversized revision that a later one replaces costs nothing."""
    revs = [revision(1, article(1, 500)), revision(2, article(2, 300_000)), revision(3, article(3, 500))]
    dump = HEADER + page("Fine & dandy", 5, revs) + page("Huge <one>", 6, revs[:2]) + FOOTER
    path = tmp_path / "dump.xml"
    path.write_text(dump, encoding="utf-8")
    docs, quarantined, _ = read(path, max_doc_bytes=100_000)
    assert [(d.id, d.metadata["revision_id"]) for d in docs] == [("wiki/enwiki:5", 3)]
    [q] = quarantined
    assert (q.reason, q.id) == ("too_large", "wiki/enwiki:6")
    assert 'page 6 "Huge <one>"' in q.detail and "last revision" in q.detail and "\n" not in q.detail
    assert q.sample.startswith(b"<page>\n    <title>Huge &lt;one&gt;</title>") and len(q.sample) <= 65536


def test_history_pages_are_streamed_one_revision_at_a_time():
    """300 revisions of 50 KB (15 MB in one <page>), framed from a stream made as it is read: the
    framer holds the page's head and one revision (and a chunk), never the page. Before, it held
    the whole page (a peak of 29 MiB here; under the default 10 MB cap the page was lost as too_large)."""
    rev_bytes = [revision(1000 + n, article(n, 50_000)).encode() for n in range(3)]

    def pieces():
        yield HEADER.encode() + b"  <page>\n    <title>Big</title>\n    <ns>0</ns>\n    <id>77</id>\n"
        for n in range(300):
            yield rev_bytes[n % 3]
        yield b"  </page>\n" + FOOTER.encode()

    class Stream:
        def __init__(self):
            self.it, self.left = pieces(), b""

        def read1(self, n):
            while len(self.left) < n and (more := next(self.it, None)) is not None:
                self.left += more
            out, self.left = self.left[:n], self.left[n:]
            return out

    # A cap of 1 MiB on what the framer may hold: a framer that held the page (15 MB) would refuse it
    # as too large; one that holds its head and one revision hands the page on.
    frames = [(kind, data) for kind, data, _ in frame_pages(Stream(), 1 << 20)]
    assert [k for k, _ in frames] == ["header", "page"]
    assert frames[1][1] == (b"<page>\n    <title>Big</title>\n    <ns>0</ns>\n    <id>77</id>\n"
                            + rev_bytes[299 % 3] + b"  </page>")


def test_framing_does_not_depend_on_where_chunks_end():
    """Pages of one to many revisions (and one with a damaged last <revision> tag) framed from
    streams that hand out 1 to 3000 bytes at a time give the same frames as one read: each page
    is its head and its last revision."""
    rng = random.Random(7)
    pages = [page(f"P{i}", i, [revision(100 * i + n, article(n, rng.randint(10, 900)))
                               for n in range(rng.randint(1, 12))]) for i in range(1, 30)]
    victim = page("Victim", 6, [revision(600 + n, article(n, 300)) for n in range(3)])
    cut = victim.rfind("<revision>")
    pages[5] = victim[:cut] + "<revisi0n>" + victim[cut + len("<revision>"):]
    data = (HEADER + "".join(pages) + FOOTER).encode()

    def frames(step):
        class Stream:
            pos = 0

            def read1(self, n):
                k = min(n, step())
                out, self.pos = data[self.pos:self.pos + k], self.pos + k
                return out
        return [(kind, bytes(chunk), off) for kind, chunk, off in frame_pages(Stream(), 1 << 20)]

    whole = frames(lambda: 1 << 30)
    for p, (kind, chunk, off) in zip(pages, whole[1:]):
        raw = p.strip().encode()
        head, last = raw[:raw.find(b"<revision>")], raw[raw.rfind(b"<revision>"):]
        assert kind == "page" and chunk == head + last and data[off:].startswith(b"<page>")
    assert len(whole) == len(pages) + 1
    for _ in range(20):
        top = rng.choice([7, 50, 3000])
        assert frames(lambda: rng.randint(1, top)) == whole


def test_a_damaged_last_revision_is_malformed_not_an_older_one_read(tmp_path):
    """The last <revision> tag damaged: the page is quarantined (naming it), not read by the
    revision before it as if that were the newest."""
    raw = page("Victim", 9, [revision(1, article(1, 500)), revision(2, article(2, 500))])
    cut = raw.rfind("<revision>")
    path = tmp_path / "dump.xml"
    path.write_text(HEADER + raw[:cut] + "<revisi0n>" + raw[cut + 10:] + page("Next", 10, [revision(3, "Next page.")])
                    + FOOTER, encoding="utf-8")
    docs, quarantined, _ = read(path)
    assert [d.id for d in docs] == ["wiki/enwiki:10"]
    assert [(q.reason, q.id) for q in quarantined] == [("malformed_page", "wiki/enwiki:9")]
    assert 'page 9 "Victim"' in quarantined[0].detail


# -- a dump download folder ------------------------------------------------------------------------
def test_a_dump_download_folder_reads_the_dumps_and_skips_the_rest(tmp_path):
    """A folder as downloaded from dumps.wikimedia.org/<wiki>/<date>/: the multistream dump and
    its index (one line per page: offset:id:title), md5sums.txt, dumpstatus.json, a split part's
    index and an abstracts file. Each non-dump file was quarantined `truncated_dump` ("no
    </mediawiki>"), which could trip the quarantine guard; now counted as skipped. Named on its
    own (not through the folder), a file is still read as a dump."""
    pages = [page(f"Article {i}", i, [revision(100 + i, f"'''Article {i}''' is an article about {i}.")])
             for i in range(1, 5)]
    dump = bz2.compress(HEADER.encode()) + b"".join(bz2.compress(p.encode()) for p in pages) \
        + bz2.compress(FOOTER.encode())
    d = tmp_path / "enwiki" / "20240101"
    d.mkdir(parents=True)
    (d / "enwiki-20240101-pages-articles-multistream.xml.bz2").write_bytes(dump)
    (d / "enwiki-20240101-pages-articles-multistream-index.txt.bz2").write_bytes(
        bz2.compress(b"".join(b"%d:%d:Article %d\n" % (600, i, i) for i in range(1, 5))))
    (d / "enwiki-20240101-pages-articles-multistream-index1.txt-p1p41242.bz2").write_bytes(bz2.compress(b"600:1:A\n"))
    (d / "enwiki-20240101-md5sums.txt").write_text("abc  enwiki-20240101-pages-articles-multistream.xml.bz2\n")
    (d / "dumpstatus.json").write_text('{"jobs": {"articlesdump": {"status": "done"}}, "version": "0.8"}')
    (d / "enwiki-20240101-abstract.xml.gz").write_bytes(gzip.compress(b"<feed><doc><title>A</title></doc></feed>\n"))
    docs, quarantined, counters = read(d)
    assert not quarantined, [(q.reason, q.detail) for q in quarantined]
    assert [d.id for d in docs] == [f"wiki/enwiki:{i}" for i in range(1, 5)]
    assert counters == {"skipped_not_mediawiki_file": 5}
    # a file named on its own is read, whatever its name
    _, quarantined, _ = read(d / "enwiki-20240101-md5sums.txt")
    assert [q.reason for q in quarantined] == ["truncated_dump"]


def test_a_stub_dump_says_it_has_no_text(tmp_path):
    """stub-articles.xml.gz lists pages and revisions without their text (<text bytes="696"
    id="200" location="tt:200" />): each page was counted `skipped_empty_after_cleaning`, as if
    cleaning had emptied an article. Now counted as a stub dump's page; an empty revision of a
    full dump (<text bytes="0" />) is still an empty page."""
    stub = HEADER + "".join(page(f"A{i}", i, [revision(i, "x" * 500, stub=True)]) for i in range(1, 4)) + FOOTER
    path = tmp_path / "enwiki-20240101-stub-articles.xml.gz"
    path.write_bytes(gzip.compress(stub.encode()))
    docs, quarantined, counters = read(path)
    assert not docs and not quarantined and counters == {"skipped_stub_dump_page": 3}
    empty = HEADER + page("Blank", 1, [revision(1, "")]) + FOOTER
    (tmp_path / "empty.xml").write_text(empty, encoding="utf-8")
    assert read(tmp_path / "empty.xml")[2] == {"skipped_empty_after_cleaning": 1}
