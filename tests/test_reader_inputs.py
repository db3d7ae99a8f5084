"""What the readers do with inputs that are not what they seem: a named pipe (or socket, device)
among the files, bytes appended to a complete .html.gz, a file whose compression is not the one
its name says, a .7z cut short. Inputs are built here (small generated files, or copies of shared
samples under tmp_path)."""
import bz2
import gzip
import io
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from pipeline.readers import Doc, DocBatch, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig

REPO = Path(__file__).resolve().parents[1]
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def read(fmt, path, paths=None, **opts):
    """Every file `paths` (default: `path`) lists, read as a run reads it: (docs, quarantined, counters)."""
    paths = [str(p) for p in (paths or [path])]
    src = SourceConfig(name="s", format=fmt, paths=paths, **opts)
    state, docs, quarantined = ReadState(), [], []
    for f in [f for p in paths for f in expand_paths(p)]:
        for item in read_source_file(src, f, state):
            if isinstance(item, DocBatch):
                docs.extend(item.docs())
            elif isinstance(item, Doc):
                docs.append(item)
            else:
                quarantined.append(item)
    return docs, quarantined, state.counters


def _in_subprocess(code: str, timeout: float = 60) -> str:
    """Run `code` in a fresh interpreter (a read that blocks on a FIFO fails the test instead of
    hanging the suite); its stdout."""
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out after {timeout} s: a read blocked (opened a named pipe?)")
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# -- 1. named pipes and other files that are no regular files ---------------------------------
GO = b"package uuid\n\n// Version is a UUID's version.\ntype Version byte\n"


def _tree_with_fifo(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "version.go").write_bytes(GO)
    os.mkfifo(tree / "pipe.go")          # nothing ever writes to it: opening it blocks forever
    return tree


@needs_fifo
@pytest.mark.parametrize("fmt", ["code", "text", "latex"])
@pytest.mark.parametrize("how", ["directory", "glob"])
def test_a_fifo_a_directory_or_glob_turns_up_is_skipped_and_counted_never_opened(tmp_path, fmt, how):
    """A FIFO in an input directory made `pipeline run` hang forever: its first byte was probed."""
    tree = _tree_with_fifo(tmp_path)
    if fmt == "latex":
        (tree / "version.go").rename(tree / "paper.tex")
        (tree / "paper.tex").write_text("\\documentclass{article}\n\\begin{document}\nA short paper about pipes "
                                        "and what they hold.\n\\end{document}\n")
        os.rename(tree / "pipe.go", tree / "pipe.tex")
    pattern = str(tree) if how == "directory" else str(tree / "*")
    out = _in_subprocess(f"""
        import json, sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from test_reader_inputs import read
        docs, q, counters = read({fmt!r}, None, paths=[{pattern!r}])
        print(json.dumps([len(docs), [x.reason for x in q], counters]))
    """)
    import json
    n, reasons, counters = json.loads(out.strip().splitlines()[-1])
    assert n == 1 and reasons == []
    assert counters["skipped_not_regular_file"] == 1


def _load_error(tmp_path, paths_lines: str) -> str:
    """The last line a recipe of one code source with these `paths` lines prints when its inputs
    are listed (in a subprocess, with a timeout: a FIFO opened by mistake would hang the test)."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput: {tmp_path / 'run'}\nsources:\n  - name: s\n    format: code\n"
                      + paths_lines)
    out = _in_subprocess(f"""
        from pipeline.checks import list_inputs
        from pipeline.recipe import RecipeError, load_recipe
        try:
            list_inputs(load_recipe({str(recipe)!r}))
        except RecipeError as e:
            print("ERROR", e)
    """)
    return out.strip().splitlines()[-1]


@needs_fifo
def test_a_fifo_named_in_paths_is_a_one_line_error_at_load(tmp_path):
    tree = _tree_with_fifo(tmp_path)
    line = _load_error(tmp_path, f"    paths: [{tree / 'pipe.go'}, {tree / 'version.go'}]\n")
    assert line.startswith("ERROR ") and "\n" not in line
    assert str(tree / "pipe.go") in line and "named pipe (FIFO), not a regular file" in line


@needs_fifo
def test_a_fifo_listed_in_a_paths_file_is_a_one_line_error_at_load(tmp_path):
    # It was refused as "file not found": it is there, it is just no file a source can read.
    tree = _tree_with_fifo(tmp_path)
    listing = tmp_path / "files.txt"
    listing.write_text(f"{tree / 'version.go'}\n{tree / 'pipe.go'}\n")
    line = _load_error(tmp_path, f"    paths_file: {listing}\n")
    assert line.startswith("ERROR ") and "\n" not in line and "not found" not in line
    assert f"{str(tree / 'pipe.go')!r} is a named pipe (FIFO), not a regular file" in line
    assert f"(line of {str(listing)!r})" in line

@needs_fifo
def test_a_fifo_named_in_paths_that_gets_to_the_reader_is_quarantined(tmp_path):
    """A caller that reads a file without listing it first (a trial, the API) gets a quarantine
    item, never a read that waits for a writer."""
    tree = _tree_with_fifo(tmp_path)
    out = _in_subprocess(f"""
        from pipeline.readers import ReadState, read_source_file
        from pipeline.recipe import SourceConfig
        path = {str(tree / "pipe.go")!r}
        src = SourceConfig(name="s", format="code", paths=[path])
        for item in read_source_file(src, path, ReadState()):
            print(item.reason, "|", item.detail)
    """)
    assert out.strip() == f"not_regular_file | {tree / 'pipe.go'}: a named pipe (FIFO), not a regular file: not read"


# -- 2. bytes appended after a complete .html.gz ----------------------------------------------
PAGE = (b"<!doctype html><html><head><title>Pipes</title></head><body><h1>Pipes</h1>"
        + b"<p>A page of prose about pipes and the water they carry to the town.</p>" * 20 + b"</body></html>")


@pytest.mark.parametrize("junk", [b"\0\0", b"\r\n", bytes(range(200, 256)) * 2], ids=["nuls", "crlf", "bytes"])
def test_html_keeps_a_page_with_bytes_after_its_gzip_stream(tmp_path, junk):
    """As text and gutenberg files do: the page is kept, the junk counted (it was quarantined
    `corrupt_compression`, the page lost)."""
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(PAGE) + junk)
    docs, q, counters = read("html", path)
    assert not q and [d.html_str.encode() for d in docs] == [PAGE]
    assert counters["junk_after_compressed_data"] == 1


# -- 3. compression told from the content, not the name ---------------------------------------
def _wiki_xml(shared_data) -> bytes:
    return bz2.decompress((shared_data / "sources" / "wiki" / "enwiki-table-markup.xml.bz2").read_bytes())


def _se_xml() -> bytes:
    rows = ('  <row Id="1" PostTypeId="1" Score="2" AnswerCount="1" Title="Pipes" Body="&lt;p&gt;Why pipes?&lt;/p&gt;" />\r\n'
            '  <row Id="2" PostTypeId="2" ParentId="1" Score="3" Body="&lt;p&gt;Water.&lt;/p&gt;" />\r\n')
    return b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<posts>\r\n" + rows.encode() + b"</posts>\r\n"


WRONG_NAMES = {             # (content's compression, name's suffix)
    "plain-named-bz2": (lambda b: b, ".bz2"), "gzip-named-bz2": (gzip.compress, ".bz2"),
    "plain-named-gz": (lambda b: b, ".gz"), "bzip2-named-gz": (bz2.compress, ".gz"),
}


def _write_misnamed(tmp_path, name: str, data: bytes, case: str) -> Path:
    pack, suffix = WRONG_NAMES[case]
    path = tmp_path / case / (name + suffix)
    path.parent.mkdir(parents=True)
    path.write_bytes(pack(data))
    return path


def _same_as_right_name(tmp_path, fmt, name, data, case, **opts):
    """Read the misnamed file and the same content under its right (plain) name: same documents,
    the mismatch counted."""
    path = _write_misnamed(tmp_path, name, data, case)
    right = tmp_path / "right" / name
    right.parent.mkdir()
    right.write_bytes(data)
    want, wq, _ = read(fmt, right, **opts)
    docs, q, counters = read(fmt, path, **opts)
    assert want and not wq
    assert not q, [(x.reason, x.detail) for x in q]
    assert [(d.text_str, d.html_str) for d in docs] == [(d.text_str, d.html_str) for d in want]
    assert counters["compression_by_content"] == 1
    return docs


@pytest.mark.parametrize("case", ["plain-named-bz2", "gzip-named-bz2"])
def test_mediawiki_dump_compression_by_content(tmp_path, shared_data, case):
    _same_as_right_name(tmp_path, "mediawiki", "enwiki-pages.xml", _wiki_xml(shared_data), case)


@pytest.mark.parametrize("case", ["plain-named-gz", "bzip2-named-gz"])
def test_stackexchange_dump_compression_by_content(tmp_path, case):
    docs = _same_as_right_name(tmp_path, "stackexchange", "Posts.xml", _se_xml(), case)
    assert len(docs) == 1


@pytest.mark.parametrize("case", ["plain-named-gz", "bzip2-named-gz", "plain-named-bz2"])
def test_code_file_compression_by_content(tmp_path, case):
    path = _write_misnamed(tmp_path, "version.go", GO, case)
    docs, q, counters = read("code", path)
    assert not q and [d.text_str for d in docs] == [GO.decode()]
    assert docs[0].metadata["path"] == "version.go" and counters["compression_by_content"] == 1


@pytest.mark.parametrize("case", ["plain-named-gz", "bzip2-named-gz"])
def test_gutenberg_book_compression_by_content(tmp_path, shared_data, case):
    book = gzip.decompress((shared_data / "sources" / "books" / "gutenberg" / "pg10026.raw.txt.gz").read_bytes())
    _same_as_right_name(tmp_path, "gutenberg", "pg10026.txt", book, case)


@pytest.mark.parametrize("case", ["plain-named-gz", "bzip2-named-gz"])
def test_html_file_compression_by_content(tmp_path, case):
    _same_as_right_name(tmp_path, "html", "page.html", PAGE, case)


PAPER = (b"\\documentclass{article}\n\\title{Pipes}\n\\begin{document}\n\\maketitle\n"
         b"Pipes carry water to the town, and this paper says how.\n\\input{body}\n\\end{document}\n")
BODY = b"\\section{Water}\nThe water runs downhill through the pipes to every house.\n"


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("name,data", [
    ("main.tex.gz", PAPER.replace(b"\\input{body}\n", BODY)),                   # a plain .tex named .gz
    ("paper.tar.gz", _tar({"main.tex": PAPER, "body.tex": BODY})),              # a plain tar named .tar.gz
    ("paper.tar.gz", bz2.compress(_tar({"main.tex": PAPER, "body.tex": BODY}))),  # bzip2 named .gz
    ("paper.tar", gzip.compress(_tar({"main.tex": PAPER, "body.tex": BODY}))),  # gzip named .tar
], ids=["tex-named-gz", "tar-named-tar.gz", "bzip2-named-tar.gz", "gzip-named-tar"])
def test_latex_archive_compression_by_content(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    docs, q, counters = read("latex", path)
    assert not q, [(x.reason, x.detail) for x in q]
    assert len(docs) == 1 and "water runs downhill" in docs[0].text_str and "Pipes carry water" in docs[0].text_str
    assert counters["compression_by_content"] == 1


def test_latex_tgz_is_gzip_by_its_name(tmp_path):
    """A .tgz (arXiv's and many a project's download) was read as a plain tar: 'not a tar archive'."""
    path = tmp_path / "paper.tgz"
    path.write_bytes(gzip.compress(_tar({"main.tex": PAPER, "body.tex": BODY})))
    docs, q, counters = read("latex", path)
    assert not q and len(docs) == 1 and "water runs downhill" in docs[0].text_str
    assert "compression_by_content" not in counters


# -- 4. a .7z cut short says so -----------------------------------------------------------------
def test_stackexchange_truncated_7z_says_truncated_or_damaged(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    src = tmp_path / "src"
    src.mkdir()
    (src / "Posts.xml").write_bytes(_se_xml() * 1)
    whole = tmp_path / "whole.7z"
    with py7zr.SevenZipFile(whole, "w") as z:
        z.write(src / "Posts.xml", "Posts.xml")
    cut = tmp_path / "cut" / "coffee.stackexchange.com.7z"
    cut.parent.mkdir()
    data = whole.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    docs, q, _ = read("stackexchange", cut)
    assert not docs and [x.reason for x in q] == ["corrupt_archive"]
    detail = q[0].detail
    assert "\n" not in detail and detail.startswith(f"{cut}: the 7z archive is truncated or damaged: ")
    assert "exceeds the archive size" in detail          # the library's own words kept after it


LFS = (b"version https://git-lfs.github.com/spec/v1\n"
       b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345678\n")


@pytest.mark.parametrize("fmt,name", [("jsonl", "train-00000.jsonl.gz"), ("parquet", "train-00000.parquet"),
                                      ("text", "book.txt"), ("html", "page.html"), ("warc", "crawl.warc.gz"),
                                      ("code", "data.parquet")])
def test_a_git_lfs_pointer_is_one_item_saying_to_pull_it(tmp_path, fmt, name):
    """A dataset repository cloned without git-lfs holds ~130-byte pointers for its data files: read
    as data they became a document (text, html) or a misleading corrupt_parquet / bad_json item."""
    path = tmp_path / name
    path.write_bytes(LFS)
    opts = {"layout": "rows"} if fmt == "code" else {}
    docs, quarantined, _ = read(fmt, path, **opts)
    assert not docs and [q.reason for q in quarantined] == ["lfs_pointer"]
    assert "git lfs pull" in quarantined[0].detail and "12,345,678 bytes" in quarantined[0].detail


def test_a_git_lfs_pointer_in_a_code_checkout_is_a_file_of_the_tree(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "model.bin").write_bytes(LFS)
    docs, quarantined, _ = read("code", tmp_path / "repo" / "model.bin")
    assert not quarantined and docs[0].text.startswith("version https://git-lfs")   # code_filter marks it


def test_question_mark_and_bracket_globs_are_expanded_and_a_star_in_a_name_is_a_name(tmp_path):
    """fsspec globs a pattern only for `*`: `part-?.jsonl.gz` and `part-[01]` were one file's name
    that did not exist (validate said 1 file, the run quarantined it unreadable); a listed file whose
    name holds `*` (an S3 key) crashed the resume key's fingerprint (a glob of two matches)."""
    from pipeline.readers import expand_paths
    from pipeline.ingest import _fingerprint
    for name in ("part-0.jsonl", "part-1.jsonl", "part-2.jsonl", "lit[1].jsonl", "star*.jsonl", "star-2.jsonl"):
        (tmp_path / name).write_text('{"text": "a row"}\n')
    assert expand_paths(str(tmp_path / "part-?.jsonl")) == [str(tmp_path / f"part-{i}.jsonl") for i in range(3)]
    assert expand_paths(str(tmp_path / "part-[01].jsonl")) == [str(tmp_path / f"part-{i}.jsonl") for i in range(2)]
    assert expand_paths(str(tmp_path / "lit[1].jsonl")) == [str(tmp_path / "lit[1].jsonl")]     # as named
    assert expand_paths(str(tmp_path / "part-[9].jsonl")) == []
    star = str(tmp_path / "star*.jsonl")
    assert _fingerprint(star)["size"] == (tmp_path / "star*.jsonl").stat().st_size
    assert _fingerprint(f"file://{star}")["size"] == (tmp_path / "star*.jsonl").stat().st_size
