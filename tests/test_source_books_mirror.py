"""The Gutenberg reader on a Project Gutenberg mirror's folders: what is no book (RDF, HTML,
images, EPUB, the HTML edition's zip) is skipped and counted, and editions of one eBook side by
side (17489-0.txt, 17489-8.txt, 17489-8.zip) are told apart from copies."""
import gzip
import zipfile

import pytest

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.readers.gutenberg_editions import edition
from pipeline.recipe import SourceConfig

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
RDF = (b'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<pgterms:ebook rdf:about="ebooks/36261"/></rdf:RDF>\n')
HTML = (b"<!DOCTYPE html>\n<html><head><title>The First Men in the Moon</title></head>"
        b"<body><p>Chapter I</p></body></html>\n")


def raw_book(shared_data, number: int) -> bytes:
    return gzip.open(shared_data / "sources" / "books" / "gutenberg" / f"pg{number}.raw.txt.gz").read()


def zipped(path, members: dict):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def mirror(shared_data, root):
    """A PG mirror's two trees: cache/epub/36261/ (pg36261.txt, its RDF, images, EPUB) and the
    old tree 1/0/1/1013/ (the editions 1013-0.txt, 1013-8.txt, 1013-8.zip, the HTML edition
    1013-h/ and its zip)."""
    moon = raw_book(shared_data, 1013)
    latin = moon.replace(b"Character set encoding: ASCII", b"Character set encoding: ISO-8859-1")
    epub = root / "cache" / "epub" / "36261"
    (epub / "images").mkdir(parents=True)
    (epub / "pg36261.txt").write_bytes(raw_book(shared_data, 36261))
    (epub / "pg36261.rdf").write_bytes(RDF)
    (epub / "pg36261-images.epub").write_bytes(b"PK\x03\x04" + bytes(200))
    for name in ("cover.jpg", "p0.jpg", "p1.jpg"):
        (epub / "images" / name).write_bytes(JPEG)
    old = root / "1" / "0" / "1" / "1013"
    (old / "1013-h" / "images").mkdir(parents=True)
    (old / "1013-0.txt").write_bytes(moon)
    (old / "1013-8.txt").write_bytes(latin)
    zipped(old / "1013-8.zip", {"1013-8.txt": latin})
    (old / "1013-h" / "1013-h.htm").write_bytes(HTML)
    (old / "1013-h" / "images" / "a.jpg").write_bytes(JPEG)
    zipped(old / "1013-h.zip", {"1013-h/1013-h.htm": HTML, "1013-h/images/a.jpg": JPEG})
    return old


def read(paths, files=None, reverse=False):
    """Every file of a source, each with its own ReadState (as separate workers read them), in
    listing order or reversed; (docs, quarantined, counters summed, {file: its counters})."""
    src = SourceConfig(name="books", format="gutenberg", paths=[str(p) for p in paths])
    files = files or sorted({f for p in paths for f in expand_paths(str(p))})
    docs, quarantined, counters, per_file = [], [], {}, {}
    for f in (reversed(files) if reverse else files):
        state = ReadState()
        for item in read_source_file(src, f, state):
            (docs if isinstance(item, Doc) else quarantined).append(item)
        per_file[f] = state.counters
        for k, v in state.counters.items():
            counters[k] = counters.get(k, 0) + v
    return docs, quarantined, counters, per_file


def test_a_mirror_folder_reads_its_books_and_skips_the_rest(shared_data, tmp_path):
    """Images were quarantined `binary_file`, the RDF and the .htm `not_a_book`, the HTML zip
    `no_text_member`: most of a mirror's records, and the quarantine guard stopped the run. Now
    they are counted as skipped; the books are read."""
    mirror(shared_data, tmp_path / "mirror")
    docs, quarantined, counters, _ = read([tmp_path / "mirror"])
    assert not quarantined, [(q.reason, q.detail[:100]) for q in quarantined]
    assert sorted(d.id for d in docs) == ["books/gutenberg:1013"] * 3 + ["books/gutenberg:36261"]
    # 3 images + .rdf + .epub in cache/epub; .htm + .jpg + -h.zip in the old tree
    assert counters["skipped_not_gutenberg_file"] == 8


def test_editions_beside_a_preferred_one_are_flagged_whatever_the_order(shared_data, tmp_path):
    """17489-0.txt (UTF-8), 17489-8.txt (Latin-1) and 17489-8.zip gave three documents under one
    id, and the run's only note blamed row formats. Each edition is still read (a reader sees one
    file: it cannot choose among the source's files), but one that has a preferred edition beside
    it which the source reads too says so: flag `other_edition`, `preferred_edition`, and
    `gutenberg_other_edition_books`; the same in any order, each file read on its own."""
    old = mirror(shared_data, tmp_path / "mirror")
    globs = [f"{tmp_path / 'mirror'}/**/*.txt", f"{tmp_path / 'mirror'}/**/*.zip"]      # as r_books.yaml
    for paths in ([tmp_path / "mirror"], [old], globs):
        for reverse in (False, True):
            docs, quarantined, counters, per_file = read(paths, reverse=reverse)
            by_file = {d.metadata["file"]: d for d in docs}
            best = by_file[str(old / "1013-0.txt")]
            assert "flags" not in best.metadata and "preferred_edition" not in best.metadata
            for name in ("1013-8.txt", "1013-8.zip"):
                doc = by_file[str(old / name)]
                assert doc.metadata["flags"] == ["other_edition"] and doc.metadata["preferred_edition"] == "1013-0.txt"
                assert per_file[str(old / name)]["gutenberg_other_edition_books"] == 1
                assert doc.id == best.id == "books/gutenberg:1013" and doc.text == best.text
            assert counters["gutenberg_other_edition_books"] == 2
            # a glob names what it matches, read whatever it is: the HTML edition's zip too
            assert [q.reason for q in quarantined] == (["no_text_member"] if paths is globs else [])


def test_an_edition_is_flagged_only_when_the_source_reads_the_preferred_one(shared_data, tmp_path):
    """The preferred edition must be one of the source's files: named alone, or matched only
    by a glob for the Latin-1 editions, the -8 file is no duplicate; the -8.zip beside the
    -8.txt is (the text goes before the zip)."""
    old = mirror(shared_data, tmp_path / "mirror")
    docs, _, counters, _ = read([old / "1013-8.zip"])
    assert [d.metadata.get("flags") for d in docs] == [None] and "gutenberg_other_edition_books" not in counters
    docs, _, counters, _ = read([f"{old}/*-8.*"])
    flags = {d.metadata["file"].rsplit("/", 1)[1]: d.metadata.get("preferred_edition") for d in docs}
    assert flags == {"1013-8.txt": None, "1013-8.zip": "1013-8.txt"} and counters["gutenberg_other_edition_books"] == 1


@pytest.mark.parametrize("name,want", [
    ("17489-0.txt", (17489, 0)), ("17489.txt", (17489, 1)), ("17489-8.txt", (17489, 2)),
    ("17489-0.zip", (17489, 3)), ("17489.zip", (17489, 4)), ("17489-8.zip", (17489, 5)),
    ("pg2229.txt", (2229, 0)), ("pg2229.txt.utf8", (2229, 0)), ("pg2229.txt.utf8.gzip", (2229, 0)),
    ("17489-0.txt.gz", (17489, 0)), ("17489-H.ZIP", None), ("17489-h.zip", None), ("17489.zip.utf8", None),
    ("pg2229.rdf", None), ("book.txt", None), ("17489-5.txt", None)])
def test_edition_names_and_their_order(name, want):
    assert edition(name) == want


def test_the_same_ebook_in_both_trees_of_a_mirror(shared_data, tmp_path):
    """A whole mirror holds most eBooks twice: cache/epub/N/pgN.txt (in older mirrors
    pgN.txt.utf8) and the old tree's N-0.txt, both UTF-8. The cache's is flagged, naming the old
    tree's file from the mirror's root (pgcorpus/gutenberg keeps the old tree's too); eBook 7 lives
    in 0/7/. A folder elsewhere named by number is no tree."""
    root = tmp_path / "mirror"
    moon = raw_book(shared_data, 1013)
    for folder, name in (("cache/epub/1013", "pg1013.txt"), ("1/0/1/1013", "1013-0.txt"),
                         ("cache/epub/7", "pg7.txt.utf8"), ("0/7", "7.txt")):
        (root / folder).mkdir(parents=True)
        (root / folder / name).write_bytes(moon.replace(b"eBook #1013", b"eBook #" + folder.rsplit("/", 1)[1].encode()))
    docs, quarantined, counters, _ = read([root])
    got = {d.metadata["file"][len(str(root)) + 1:]: d.metadata.get("preferred_edition") for d in docs}
    assert got == {"cache/epub/1013/pg1013.txt": "1/0/1/1013/1013-0.txt", "1/0/1/1013/1013-0.txt": None,
                   "cache/epub/7/pg7.txt.utf8": None, "0/7/7.txt": "cache/epub/7/pg7.txt.utf8"}
    assert counters["gutenberg_other_edition_books"] == 2 and not quarantined
    (tmp_path / "other" / "1013").mkdir(parents=True)
    (tmp_path / "other" / "1013" / "1013-8.txt").write_bytes(moon)
    docs, _, counters, _ = read([root / "cache", tmp_path / "other"])
    assert "gutenberg_other_edition_books" not in counters
