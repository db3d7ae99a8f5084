"""`format: html` over folders as people keep them: a `wget -r` mirror with images and PDFs saved
under page-like names, macOS AppleDouble files and `.htaccess`, folders the listing cannot enter
and symlinked folders (loops included), pages that carry their own address (saved-from mark,
canonical link, a host folder), and MHTML single-file saves."""
from __future__ import annotations

import gzip
import os
import quopri
from collections import Counter

import pytest

from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig

PAGE = b"<html><head><title>T</title></head><body><p>A page with a real paragraph of text.</p></body></html>"


def read(paths: list, **options):
    """Every file of an html source as ingest reads it: (documents by file name, quarantine items,
    counters)."""
    src = SourceConfig(name="s", format="html", paths=[str(p) for p in paths], **options)
    state, docs, quarantined = ReadState(), {}, []
    for pattern in src.paths:
        for path in expand_paths(pattern):
            for item in read_source_file(src, path, state):
                if isinstance(item, Doc):
                    docs[path.rsplit("/", 1)[-1]] = item
                elif isinstance(item, Quarantined):
                    quarantined.append(item)
    return docs, quarantined, Counter(state.counters)


# -- 2. binary files under page-like names ------------------------------------------------------
BINARIES = {
    "thumb.php?img=1&w=300": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 2,
    "logo?size=2": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "anim?x=1": b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(range(200)),
    "pic?fmt=webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(200)),
    "download?file=report": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)),
    "favicon": b"\x00\x00\x01\x00\x01\x00\x10\x10" + bytes(range(200)),
    "font?family=x": b"wOF2\x00\x01\x00\x00" + bytes(range(200)),
    "export?id=3": b"PK\x03\x04\x14\x00\x00\x00" + bytes(range(200)),
    "video?id=9": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + bytes(range(200)),
    "img?id=4": gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(range(256))),       # gzip of an image
    "logo?format=svg": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><title>Logo</title>'
                       b'<text x="1" y="2">ACME Widgets International since 1901</text></svg>',
}


def test_binary_files_under_page_names_are_skipped_as_assets_are(tmp_path):
    """A mirror's `thumb.php?img=1&w=300` JPEG, `logo?size=2` PNG, `download?file=report` PDF were
    quarantined `bad_encoding` (the quarantine guard stopped the run on a shop's thumbnails); an
    SVG became a document of its labels. Told by their first bytes, they are counted as the
    folder's `.png` and `.pdf` are."""
    site = tmp_path / "mirror" / "shop.example.com"
    site.mkdir(parents=True)
    (site / "index.php?p=1").write_bytes(PAGE)
    (site / "about").write_bytes(gzip.compress(PAGE))
    for name, data in BINARIES.items():
        (site / name).write_bytes(data)
    docs, quarantined, counters = read([tmp_path / "mirror"])
    assert sorted(docs) == ["about", "index.php?p=1"]
    assert quarantined == []
    assert counters["skipped_not_html_file"] == len(BINARIES)


def test_a_page_is_not_taken_for_a_binary_file(tmp_path):
    """Pages that start like no signature: UTF-16 with a BOM, XHTML with an XML declaration, a
    page beginning with words."""
    (tmp_path / "utf16").write_bytes(PAGE.decode().encode("utf-16"))
    (tmp_path / "xhtml").write_bytes(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + PAGE)
    (tmp_path / "words").write_bytes(b"BMW and OTTO " + PAGE)
    docs, quarantined, counters = read([tmp_path])
    assert sorted(docs) == ["utf16", "words", "xhtml"] and not quarantined
    assert counters["skipped_not_html_file"] == 0


# -- 6. marker files ---------------------------------------------------------------------------
def test_appledouble_and_dot_files_are_marker_files(tmp_path):
    """`._index.html` (macOS's resource fork beside each page copied from a Mac) was quarantined
    `bad_encoding`, `.htaccess` became a document: both are counted as the text reader counts them."""
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "._index.html").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(80))
    (tmp_path / ".htaccess").write_bytes(b"RewriteEngine On\n<IfModule mod_rewrite.c>\n</IfModule>\n")
    docs, quarantined, counters = read([tmp_path])
    assert sorted(docs) == ["index.html"] and not quarantined
    assert counters["skipped_marker_file"] == 2


# -- 3. what the listing cannot enter or does not follow --------------------------------------
def _unlistable(monkeypatch, folder):
    """os.scandir failing on `folder` as on a chmod 000 folder for a user not root (the tests may
    run as root, whom permissions do not stop)."""
    real_scandir, real_access = os.scandir, os.access
    folder = str(folder)

    def scandir(path="."):
        if os.fspath(path).rstrip("/") == folder:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: os.fspath(p).rstrip("/") != folder
                        and real_access(p, mode, **kw))


@pytest.mark.parametrize("glob", ["", "/**", "/**/*.html", "/*/*.html", "/*/*", "/[lo]*/*.html"])
def test_a_folder_the_listing_cannot_enter_is_quarantined_naming_it(tmp_path, monkeypatch, glob):
    """fsspec's walk and glob omit a folder they cannot list (on_error="omit"): its pages were lost
    without a word (`site/**/*.html` too). Now one `unlisted_folder` item names it; the other pages
    are read."""
    site = tmp_path / "site"
    (site / "locked").mkdir(parents=True)
    (site / "open").mkdir()
    (site / "open" / "a.html").write_bytes(PAGE)
    (site / "locked" / "b.html").write_bytes(PAGE)
    _unlistable(monkeypatch, site / "locked")
    docs, quarantined, _ = read([f"{site}{glob}"])
    assert sorted(docs) == ["a.html"]
    assert [q.reason for q in quarantined] == ["unlisted_folder"]
    assert str(site / "locked") in quarantined[0].detail and "Permission denied" in quarantined[0].detail


def test_a_named_folder_that_cannot_be_listed_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "site").mkdir()
    _unlistable(monkeypatch, tmp_path / "site")
    with pytest.raises(PermissionError):
        expand_paths(str(tmp_path / "site"))


def _linked_tree(tmp_path):
    """A site with a link back up (`loop -> ..`), to itself (`self -> .`), to a folder of its own
    (`alias -> sub`) and to a folder outside it (`more -> ../elsewhere`)."""
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (site / "a.html").write_bytes(PAGE)
    (site / "sub" / "b.html").write_bytes(PAGE)
    (elsewhere / "c.html").write_bytes(PAGE)
    os.symlink("..", site / "loop")
    os.symlink(".", site / "self")
    os.symlink("sub", site / "alias")
    os.symlink("../elsewhere", site / "more")
    return site


@pytest.mark.parametrize("glob", [False, True])
def test_symlinked_folders_are_followed_once_and_loops_counted(tmp_path, glob):
    """A symlinked folder was neither read nor counted. A link out of the tree is followed (its
    pages named through the link); a link to a folder already listed, or back up the tree, is
    counted `skipped_symlinked_folder` (no page twice, no endless listing)."""
    site = _linked_tree(tmp_path)
    files = expand_paths(f"{site}/**" if glob else str(site))
    assert sorted(f[len(str(site)) + 1:] for f in files) == ["a.html", "alias", "loop", "more/c.html", "self",
                                                              "sub/b.html"]
    docs, quarantined, counters = read([f"{site}/**" if glob else site])
    assert sorted(docs) == ["a.html", "b.html", "c.html"] and not quarantined
    assert counters["skipped_symlinked_folder"] == 3


@pytest.mark.parametrize("glob, listed", [
    ("/**/*.html", ["a.html", "alias", "loop", "more/c.html", "more/deep/d.html", "self", "sub/b.html"]),
    ("/*/*.html", ["alias", "loop", "more/c.html", "self", "sub/b.html"]),
    ("/m*/**/*.html", ["more/c.html", "more/deep/d.html"]),
    ("/*/deep/?.html", ["alias", "loop", "more/deep/d.html", "self"]),
])
def test_a_glob_follows_symlinked_folders_as_a_folder_does(tmp_path, glob, listed):
    """A glob with a file pattern after its folders (`site/**/*.html`) went through fsspec's glob,
    which does not follow a symlink to a folder: `more -> ../elsewhere` (another disk) was lost with
    exit 0. The link is followed once, as for `site/**`, and only what the pattern matches below it
    is listed; a link back up or to a folder already listed is counted `skipped_symlinked_folder`."""
    site = _linked_tree(tmp_path)
    (tmp_path / "elsewhere" / "deep").mkdir()
    (tmp_path / "elsewhere" / "deep" / "d.html").write_bytes(PAGE)
    (tmp_path / "elsewhere" / "style.css").write_bytes(b"p {}")
    files = expand_paths(f"{site}{glob}")
    assert [f[len(str(site)) + 1:] for f in files] == listed
    docs, quarantined, counters = read([f"{site}{glob}"])
    assert sorted(docs) == sorted(f.rsplit("/", 1)[-1] for f in listed if f.endswith(".html")) and not quarantined
    assert counters["skipped_symlinked_folder"] == len([f for f in listed if "." not in f])


def test_a_glob_enters_only_the_folders_its_pattern_can_match(tmp_path, monkeypatch):
    """The walk of `site/o*/*.html` does not enter `locked/` (no match can lie there: nothing to
    quarantine), nor `open/deeper/` below the pattern's depth; a link to a folder the glob lists
    itself (`oalias -> other`, both matching) gives no page twice: it is listed, to be counted."""
    site = tmp_path / "site"
    for d in ("locked", "open/deeper", "other"):
        (site / d).mkdir(parents=True)
    (site / "open" / "a.html").write_bytes(PAGE)
    (site / "open" / "deeper" / "z.html").write_bytes(PAGE)
    (site / "other" / "b.html").write_bytes(PAGE)
    os.symlink("other", site / "oalias")
    _unlistable(monkeypatch, site / "locked")
    entered, scandir = [], os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": entered.append(os.fspath(path)) or scandir(path))
    assert [f[len(str(site)) + 1:] for f in expand_paths(f"{site}/o*/*.html")] == ["oalias", "open/a.html",
                                                                                    "other/b.html"]
    assert entered == [str(site), str(site / "other"), str(site / "open")]
    assert expand_paths(f"{site}/nowhere/**/*.html") == []


def test_a_glob_leaves_git_out_as_a_folder_listing_does_unless_it_names_it(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "objects" / "ab.html").write_bytes(PAGE)
    (repo / "src").mkdir()
    (repo / "src" / "a.html").write_bytes(PAGE)
    rel = lambda pattern: [f[len(str(repo)) + 1:] for f in expand_paths(pattern)]  # noqa: E731
    assert rel(f"{repo}/**") == rel(f"{repo}/**/*.html") == rel(str(repo)) == ["src/a.html"]
    assert rel(f"{repo}/.git/*") == [".git/HEAD"]


def test_an_object_store_glob_is_listed_by_fsspec_as_before():
    """Only local globs are walked here: an object store's (no folders to enter, no links) is fsspec's."""
    import fsspec
    fs = fsspec.filesystem("memory")
    for key in ("site/a.html", "site/sub/b.html", "site/sub/c.css", "site/sub/deep/d.html"):
        fs.pipe(f"/globs-h2/{key}", PAGE)
    try:
        assert expand_paths("memory://globs-h2/site/**/*.html") == [
            "memory:///globs-h2/site/a.html", "memory:///globs-h2/site/sub/b.html",
            "memory:///globs-h2/site/sub/deep/d.html"]
        assert expand_paths("memory://globs-h2/site/*/*.css") == ["memory:///globs-h2/site/sub/c.css"]
    finally:
        fs.rm("/globs-h2", recursive=True)


def test_links_between_followed_trees_end(tmp_path):
    """Two folders outside the tree linking to each other: each is listed once."""
    site, x, y = tmp_path / "site", tmp_path / "x", tmp_path / "y"
    for d in (site, x, y):
        d.mkdir()
    (x / "x.html").write_bytes(PAGE)
    (y / "y.html").write_bytes(PAGE)
    os.symlink(x, site / "to_x")
    os.symlink(y, x / "to_y")
    os.symlink(x, y / "back_to_x")
    files = expand_paths(str(site))
    assert sorted(f[len(str(site)) + 1:] for f in files) == ["to_x/to_y/back_to_x", "to_x/to_y/y.html",
                                                              "to_x/x.html"]


# -- 4. the page's own address ----------------------------------------------------------------
def test_a_saved_page_gets_its_url_from_what_it_carries(tmp_path):
    """url was None for every saved page. Chrome's and IE's saved-from mark first, then the
    canonical link (relative ones resolved), then a mirror's host folder (wget -r)."""
    host = tmp_path / "mirror" / "www.example.com"
    (host / "about").mkdir(parents=True)
    (host / "saved.html").write_bytes(b"<!DOCTYPE html>\n<!-- saved from url=(0031)https://news.example.org/a/1 -->\n"
                                      b'<html><head><link rel="canonical" href="https://other.example/x">'
                                      b"</head><body><p>Some words.</p></body></html>")
    (host / "canon.html").write_bytes(b"<html><head><link href='https://www.example.com/post?id=7&amp;p=1' "
                                      b"rel='shortlink canonical'></head><body><p>Some words.</p></body></html>")
    (host / "relative.html").write_bytes(b'<html><head><link rel=canonical href="/posts/9"></head>'
                                         b"<body><p>Some words.</p></body></html>")
    (host / "about" / "index.html").write_bytes(PAGE)
    (host / "page.php?id=3").write_bytes(PAGE)
    (host / "local.html").write_bytes(b"<!-- saved from url=(0014)about:internet -->\n" + PAGE)
    docs, _, _ = read([tmp_path / "mirror"])
    urls = {name: (d.url, d.metadata.get("url_from")) for name, d in docs.items()}
    assert urls == {
        "saved.html": ("https://news.example.org/a/1", "saved_from"),
        "canon.html": ("https://www.example.com/post?id=7&p=1", "canonical"),
        "relative.html": ("http://www.example.com/posts/9", "canonical"),
        "index.html": ("http://www.example.com/about/", "path"),
        "page.php?id=3": ("http://www.example.com/page.php?id=3", "path"),
        "local.html": ("http://www.example.com/local.html", "path"),
    }
    docs, _, _ = read([host])                    # the host folder named itself
    assert docs["index.html"].url == "http://www.example.com/about/"
    docs, _, _ = read([tmp_path / "mirror"], url_from_path=False)
    assert docs["index.html"].url is None and docs["canon.html"].url == "https://www.example.com/post?id=7&p=1"


def test_folders_not_named_like_hosts_give_no_url(tmp_path):
    (tmp_path / "pages" / "dir.html").mkdir(parents=True)
    (tmp_path / "pages" / "dir.html" / "a.html").write_bytes(PAGE)
    (tmp_path / "pages" / "b.html").write_bytes(PAGE)
    docs, _, _ = read([tmp_path / "pages"])
    assert {name: d.url for name, d in docs.items()} == {"a.html": None, "b.html": None}


# -- 5. MHTML ---------------------------------------------------------------------------------
def _mhtml(html: bytes, charset: str = "utf-8", location: str = "https://news.example.com/story/42") -> bytes:
    body = quopri.encodestring(html)
    return (b"From: <Saved by Blink>\r\nSnapshot-Content-Location: " + location.encode() + b"\r\n"
            b"Subject: A story\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="----MultipartBoundary--x"\r\n\r\n'
            b"------MultipartBoundary--x\r\nContent-Type: text/html; charset=" + charset.encode() + b"\r\n"
            b"Content-ID: <frame-1@mhtml.blink>\r\nContent-Transfer-Encoding: quoted-printable\r\n"
            b"Content-Location: " + location.encode() + b"\r\n\r\n" + body.replace(b"\n", b"\r\n") + b"\r\n"
            b"------MultipartBoundary--x\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Location: https://news.example.com/logo.png\r\n\r\niVBORw0KGgo=\r\n"
            b"------MultipartBoundary--x--\r\n")


def test_an_mhtml_file_gives_its_html_part_and_address(tmp_path):
    """An .mht/.mhtml file was read as HTML: MIME headers and quoted-printable soft breaks (`=3D`,
    `=\\n`) were the page, which extract then quarantined as not_html. Its text/html part is the
    page, decoded as declared, its Content-Location the url."""
    page = ("<html><head><title>Café</title></head><body><p class=\"story\">" + "Ünïcode words " * 20 +
            "</p></body></html>")
    (tmp_path / "story.mht").write_bytes(_mhtml(page.encode("latin-1"), "iso-8859-1"))
    (tmp_path / "saved").write_bytes(_mhtml(page.encode("utf-8")))            # no .mht ending
    (tmp_path / "nohtml.mhtml").write_bytes(_mhtml(b"x").replace(b"text/html; charset", b"text/plain; charset"))
    docs, quarantined, counters = read([tmp_path])
    assert sorted(docs) == ["saved", "story.mht"]
    for d in docs.values():
        assert d.html_str == page and d.url == "https://news.example.com/story/42"
        assert d.metadata["saved_as"] == "mhtml"
    assert [q.reason for q in quarantined] == ["mhtml_without_html"]
    assert "MHTML" in quarantined[0].detail and "text/plain" in quarantined[0].detail
    assert counters["mhtml_page"] == 2
