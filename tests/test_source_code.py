"""Code sources: the `code` reader (checkout trees and Stack-style rows), `code_filter`, near-dup of vendored copies."""
import codecs
import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipeline.documents import documents_table
from pipeline.readers import Doc, ReadState, expand_paths
from pipeline.recipe import SourceConfig, load_recipe
from tests.test_storage import s3_server  # noqa: F401  (a fixture)
from pipeline.readers.code import language_of
from stages.code_filter import CodeFilter


def _code_tree(tmp_path, shared_data) -> Path:
    """The shared code samples as a tree of checkouts, plus a .git directory and a binary file."""
    root = tmp_path / "repos"
    shutil.copytree(shared_data / "sources" / "code", root, ignore=shutil.ignore_patterns("metadata.jsonl"))
    git = root / "google__uuid" / ".git"
    (git / "objects").mkdir(parents=True)
    (git / "config").write_text('[remote "origin"]\n\turl = https://github.com/google/uuid.git\n')
    (git / "objects" / "pack").write_bytes(b"PACK\0\0\0\2")
    (root / "google__uuid" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    return root


def test_truncated_compressed_file_is_quarantined(tmp_path, shared_data):
    gz = (shared_data / "sources" / "code" / "DaveGamble__cJSON" / "cJSON.c.gz").read_bytes()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "cJSON.c.gz").write_bytes(gz[: len(gz) // 2])
    (tmp_path / "r" / "ok.py").write_text("print('ok')\n")
    src = SourceConfig(name="code", format="code", paths=[str(tmp_path / "r")], root=str(tmp_path / "r"))
    docs, quarantined, _ = _read(src, expand_paths(str(tmp_path / "r")))
    assert [d.metadata["path"] for d in docs] == ["ok.py"] and docs[0].metadata["repo"] == "r"
    assert [q.reason for q in quarantined] == ["corrupt_compression"]


def _read(src, paths):
    docs, quarantined, state = [], [], ReadState()
    for p in paths:
        for item in src.reader.read(p, src, state):
            (docs if isinstance(item, Doc) else quarantined).append(item)
    return docs, quarantined, state


def test_reader_on_a_tree_of_checkouts(tmp_path, shared_data):
    root = _code_tree(tmp_path, shared_data)
    src = SourceConfig(name="code", format="code", paths=[str(root)], root=str(root), repo_depth=1)
    docs, quarantined, state = _read(src, expand_paths(str(root)))
    meta = {d.id: d.metadata for d in docs}
    n_samples = len(list((shared_data / "sources" / "code").rglob("*"))) - 1  # files and dirs, minus metadata.jsonl
    # expand_paths leaves a checkout's .git/ out; the reader skips it too when named directly
    assert not any("/.git/" in d.id for d in docs)
    assert [(q.reason, Path(q.id).name) for q in quarantined] == [("binary_file", "logo.png")]
    # compressed samples are read decompressed and named without the suffix
    c = meta["RT-Thread-packages__cJSON/cJSON.c"]
    assert c["language"] == "C" and c["repo"] == "RT-Thread-packages__cJSON" and c["path"] == "cJSON.c"
    assert c["size"] == len(gzip.decompress((shared_data / "sources/code/RT-Thread-packages__cJSON/cJSON.c.gz").read_bytes()))
    assert meta["google__uuid/uuid.go"]["language"] == "Go"
    assert meta["google__gson/gson/src/main/java/com/google/gson/JsonParser.java"]["language"] == "Java"
    assert meta["google__uuid/LICENSE"]["language"] is None
    assert len(docs) == 17 and n_samples > len(docs)
    # each file carries the licence of its repository's LICENSE (as a Stack row's `license`); a
    # repository without one, none
    assert meta["DaveGamble__cJSON/cJSON.c"]["license"] == "MIT" and meta["google__uuid/time.go"]["license"] == \
        "BSD-3-Clause"
    assert "license" not in meta["RT-Thread-packages__cJSON/cJSON.c"]
    # a single checkout: the repository is named by its git remote
    one = SourceConfig(name="uuid", format="code", paths=[str(root / "google__uuid")])
    docs, _, _ = _read(one, [str(root / "google__uuid" / "uuid.go")])
    assert docs[0].metadata["repo"] == "google/uuid" and docs[0].metadata["path"] == "uuid.go"
    assert docs[0].metadata["license"] == "BSD-3-Clause"


def test_files_in_legacy_charsets_are_read_and_utf8_lines_never_change(tmp_path, shared_data):
    """GBK comments (Chinese embedded projects), Shift-JIS, Latin-1: read in their charset, counted.
    A UTF-8 file with Latin-1 bytes pasted in keeps its own UTF-8 lines: only the stray bytes are
    read as cp1252. Bytes that are no text stay quarantined."""
    header = (shared_data / "sources/code/DaveGamble__cJSON/cJSON.h").read_text(encoding="utf-8")
    zh = header.replace("/* project version */", "/* 项目版本号，修改时请同步更新文档 */")
    ja = header.replace("/* project version */", "/* プロジェクトのバージョン番号 */")
    files = {"gbk.h": (zh.encode("gbk"), "gb18030", "项目版本号"),
             "sjis.h": (ja.encode("shift_jis"), "cp932", "プロジェクト"),
             "latin1.c": (("/* Auteur : François Müller */\n" + header).encode("latin-1"), "cp1252", "François"),
             "mixed.c": (("/* 中文注释 */\n" + header).encode() + "/* Café */\n".encode("latin-1"), "utf-8+cp1252",
                         "中文注释"),
             "noise.dat": (bytes(range(1, 256)) * 50, None, None)}
    for name, (body, charset, word) in files.items():
        (tmp_path / name).write_bytes(body)
    src = SourceConfig(name="c", format="code", paths=[str(tmp_path)], root=str(tmp_path), repo="x/y")
    state = ReadState()
    items = {i.id.rsplit("/", 1)[1]: i for p in expand_paths(str(tmp_path))
             for i in src.reader.read(p, src, state)}
    for name, (body, charset, word) in files.items():
        if charset is None:         # every byte value: its control bytes make it binary, no charset is tried
            assert not isinstance(items[name], Doc) and items[name].reason == "binary_file"
            continue
        doc = items[name]
        assert doc.metadata["charset"] == charset and word in doc.text
        assert [ln for ln in doc.text.splitlines() if ln.isascii()] == \
            [ln for ln in body.decode("latin-1").splitlines() if ln.isascii()]     # every ASCII line as it was
    assert "Café" in items["mixed.c"].text and state.counters["code_legacy_charset"] == 4
    off = SourceConfig(name="c", format="code", paths=[str(tmp_path)], root=str(tmp_path), repo="x/y",
                       legacy_charsets=False)
    assert next(off.reader.read(str(tmp_path / "gbk.h"), off, ReadState())).reason == "bad_encoding"


def test_utf16_and_utf32_files_are_text_not_binary(tmp_path, shared_data):
    """Windows tools write UTF-16 (PowerShell 5's Out-File, Visual Studio resource files): NUL bytes
    at every ASCII character, git's binary test fails them. With a BOM or without, UTF-16 or UTF-32,
    they are read as text (counted); a real binary file with NUL bytes stays quarantined."""
    header = (shared_data / "sources/code/DaveGamble__cJSON/cJSON.h").read_text(encoding="utf-8")
    header = header.replace("/* project version */", "/* версия проекта, 项目版本号 */")
    files = {"bom16.h": codecs.BOM_UTF16_LE + header.encode("utf-16-le"), "nobom16.h": header.encode("utf-16-le"),
             "be16.h": header.encode("utf-16-be"), "bom32.h": header.encode("utf-32"),
             "blob.bin": bytes(range(256)) * 64}
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    src = SourceConfig(name="c", format="code", paths=[str(tmp_path)], root=str(tmp_path), repo="x/y")
    state = ReadState()
    items = {name: next(src.reader.read(str(tmp_path / name), src, state)) for name in files}
    for name in ("bom16.h", "nobom16.h", "be16.h", "bom32.h"):
        assert isinstance(items[name], Doc) and items[name].text == header, name
    assert items["blob.bin"].reason == "binary_file" and state.counters["code_wide_unicode"] == 4


def test_language_comes_from_pygments_registry():
    assert [language_of(p) for p in ("a/b.py", "x.rs", "CMakeLists.txt", "Makefile", "w.min.js", "README")] == \
        ["Python", "Rust", "CMake", "Makefile", "JavaScript", None]


def test_code_filter_reasons_on_the_samples(tmp_path, shared_data):
    root = _code_tree(tmp_path, shared_data)
    src = SourceConfig(name="code", format="code", paths=[str(root)], root=str(root), repo_depth=1)
    docs, _, _ = _read(src, expand_paths(str(root)))
    table = documents_table([{"id": d.id, "source": "code", "text": d.text, "metadata": d.metadata} for d in docs])
    result = CodeFilter()(table)
    removed = dict(zip(result.removed.column("id").to_pylist(), result.removed.column("reason").to_pylist()))
    assert removed == {
        "spencermountain__wtf_wikipedia/plugins/debug/package-lock.json": "lock_file",
        "datasets__country-codes/data/country-codes.csv": "data_file",
        "spencermountain__wtf_wikipedia/builds/wtf_wikipedia-client.min.js": "max_line_length",
        "spencermountain__wtf_wikipedia/plugins/api/builds/wtf-plugin-api.min.js": "max_line_length",
    }
    kept = result.kept.to_pylist()
    assert [r["code_max_line_length"] for r in kept] == [max(map(len, r["text"].split("\n"))) for r in kept]
    lic = dict(zip(result.kept.column("id").to_pylist(), result.kept.column("code_license").to_pylist()))
    assert lic["DaveGamble__cJSON/cJSON.h"] == "MIT"
    assert lic["google__gson/gson/src/main/java/com/google/gson/JsonParser.java"] == "Apache-2.0"
    assert lic["google__uuid/uuid.go"] == "BSD-3-Clause"          # "governed by a BSD-style license"
    assert lic["google__uuid/LICENSE"] == "BSD-3-Clause"


def test_generated_minified_and_licences():
    long_line = "var a=" + ",".join(f"b{i}" for i in range(400)) + ";"
    texts = {
        "gen.go": "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n" + "func f() {}\n" * 20,
        "bundle.js": "/* a short banner */\n" * 15 + long_line[:900] + "\n",     # mean < 100, one line > 50%
        "symbols.txt": "+-*/=<>;:{}()[]\n" * 20,
        "gpl.c": "// SPDX-License-Identifier: GPL-2.0-only\nint main(void) { return 0; }\n",
        "dual.c": "/* SPDX-License-Identifier: GPL-2.0 OR MIT */\nint main(void) { return 0; }\n",
        "lgpl.py": "# This library is free software; you can redistribute it under the terms of the\n"
                   "# GNU Lesser General Public License as published by the Free Software Foundation.\nx = 1\n",
        "repo_gpl.py": "x = 1\n",
        "repo_mixed.py": "y = 2\n",
        "plain.py": "def f(x):\n    return x + 1\n",
        "中文.py": "# 计算两个数的和\ndef 加(a, b):\n    return a + b\n",
    }
    licences = {"repo_gpl.py": ["GPL-3.0"], "repo_mixed.py": ["MIT", "GPL-3.0"]}
    rows = [{"id": k, "source": "code", "text": v,
             "metadata": {"path": k, **({"license": licences[k]} if k in licences else {})}} for k, v in texts.items()]
    table = documents_table(rows)
    reasons = dict(zip(texts, CodeFilter().judge(table).reasons))
    assert reasons == {"gen.go": "auto_generated", "bundle.js": "one_long_line", "symbols.txt": "alphanum_fraction",
                       "gpl.c": "license_not_permissive", "dual.c": None, "lgpl.py": "license_not_permissive",
                       "repo_gpl.py": "license_not_permissive", "repo_mixed.py": None, "plain.py": None,
                       "中文.py": None}
    strict = dict(zip(texts, CodeFilter(unknown_license="remove").judge(table).reasons))
    assert strict["plain.py"] == "license_unknown" and strict["dual.c"] is None


def test_lfs_pointers_and_vendored_copies_are_not_code():
    """A Git LFS pointer stands in for a file the checkout does not hold; a file under vendor/ or
    node_modules/ is a copy of someone else's library (The Stack v2 drops linguist's vendored paths)."""
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a21\nsize 1048576\n"
    code = "def f(x):\n    return x + 1\n"
    paths = {"assets/model.bin": lfs, "vendor/github.com/pkg/errors/errors.go": code,
             "web/node_modules/left-pad/index.js": code, "src/vendored_name.py": code, "src/vendor.py": code}
    table = documents_table([{"id": p, "source": "code", "text": t, "metadata": {"path": p}} for p, t in paths.items()])
    reasons = dict(zip(paths, CodeFilter().judge(table).reasons))
    assert reasons == {"assets/model.bin": "lfs_pointer", "vendor/github.com/pkg/errors/errors.go": "vendored",
                       "web/node_modules/left-pad/index.js": "vendored", "src/vendored_name.py": None,
                       "src/vendor.py": None}
    assert CodeFilter(vendored_dirs=[]).judge(table).reasons[1] is None


def test_stack_rows_jsonl_and_parquet(tmp_path, shared_data):
    base = shared_data / "sources" / "code"
    rows = []
    for line in (base / "metadata.jsonl").read_text().splitlines():
        m = json.loads(line)
        data = (base.parent / m["file"]).read_bytes()
        data = gzip.decompress(data) if m["file"].endswith(".gz") else data
        rows.append({"content": data.decode("utf-8"), "path": m["path"], "repo": m["repo"], "license": m["license"]})
    rows.append({"content": "x = 1\n", "repo": "a/b", "license": "MIT"})   # no path: quarantined
    (tmp_path / "stack.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pq.write_table(pa.Table.from_pylist(rows[:-1]), tmp_path / "stack.parquet")
    for name in ("stack.jsonl", "stack.parquet"):
        src = SourceConfig(name="stack", format="code", layout="rows", paths=[str(tmp_path / name)])
        docs, quarantined, _ = _read(src, [str(tmp_path / name)])
        assert len(docs) == len(rows) - 1
        assert [q.reason for q in quarantined] == (["missing_path"] if name.endswith("jsonl") else [])
        d = {x.id: x.metadata for x in docs}["google/uuid/uuid.go"]
        assert d["language"] == "Go" and d["license"] == "BSD-3-Clause" and d["repo"] == "google/uuid"


def test_rows_keep_their_language_label_and_read_notebooks_as_scripts(tmp_path):
    """A row's own language was overwritten by the guess from its name (bin/run labelled Python
    became None, include/a.h labelled C++ became C), and a notebook row stayed raw JSON, which
    code_filter removed for its base64 plot's line."""
    nb = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Title"]},
                               {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["print(1)"],
                                "outputs": [{"output_type": "display_data", "metadata": {},
                                             "data": {"image/png": "iVBOR" + "A" * 5000}}]}],
                     "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
                     "nbformat": 4, "nbformat_minor": 5})
    rows = [
        {"content": "#!/usr/bin/env python\nprint('x')\n", "path": "bin/run", "repo": "a/b", "language": "Python"},
        {"content": "class A { int v; };\n", "path": "include/a.h", "repo": "a/b", "language": "C++"},
        {"content": "#!/bin/bash\necho hi\n", "path": "scripts/deploy", "repo": "a/b"},       # no label: shebang
        {"content": "x = 1\n", "path": "src/x.py", "repo": "a/b", "language": ""},             # no label: name
        {"content": nb, "path": "analysis.ipynb", "repo": "a/b", "language": "Jupyter Notebook"},
        {"content": "{not json", "path": "broken.ipynb", "repo": "a/b"},
    ]
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    for name in ("rows.jsonl", "rows.parquet"):
        src = SourceConfig(name="stack", format="code", layout="rows", paths=[str(tmp_path / name)])
        docs, quarantined, state = _read(src, [str(tmp_path / name)])
        md = {d.id: d.metadata for d in docs}
        assert {k: m["language"] for k, m in md.items()} == {
            "a/b/bin/run": "Python", "a/b/include/a.h": "C++", "a/b/scripts/deploy": "Bash",
            "a/b/src/x.py": "Python", "a/b/analysis.ipynb": "Python"}, name
        notebook = next(d for d in docs if d.id == "a/b/analysis.ipynb")
        assert notebook.text == "# # Title\n\nprint(1)\n" and md["a/b/analysis.ipynb"]["size"] == len(nb)
        assert md["a/b/analysis.ipynb"]["notebook_cells"] == {"code": 1, "markdown": 1}
        assert [(q.reason, q.id) for q in quarantined] == [("bad_notebook", "a/b/broken.ipynb")]
        assert state.counters["code_notebook"] == 1
    # The Stack v1 names the column `lang`
    (tmp_path / "v1.jsonl").write_text(json.dumps({"content": "x\n", "path": "a.h", "repo": "r", "lang": "C++"}))
    src = SourceConfig(name="v1", format="code", layout="rows", paths=[str(tmp_path / "v1.jsonl")],
                       language_field="lang")
    (doc,), _, _ = _read(src, [str(tmp_path / "v1.jsonl")])
    assert doc.metadata["language"] == "C++" and "lang" not in doc.metadata


def test_runner_filters_and_catches_the_vendored_copy(tmp_path, shared_data, ray_local):
    from pipeline.runner import Runner
    root = _code_tree(tmp_path, shared_data)
    recipe = {"name": "code", "output": str(tmp_path / "run"),
              "sources": [{"name": "code", "format": "code", "paths": [str(root)], "root": str(root),
                           "repo_depth": 1}],
              "stages": [{"stage": "code_filter"},
                         {"stage": "minhash_dedup", "threshold": 0.7,
                          "shingling": {"ngram": 5, "normalization": {"casefold": False}}}]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    stats = Runner(load_recipe(tmp_path / "r.yaml"), quiet=True).run()
    ingest, cf, dedup = stats["stages"]
    assert ingest["docs_out"] == 17 and ingest["quarantined"] == {"ingest/binary_file": 1}
    assert cf["removed"] == {"code_filter/data_file": 1, "code_filter/lock_file": 1, "code_filter/max_line_length": 2}
    removed = pq.read_table(Path(dedup["dir"]) / "removed").to_pylist()
    unprefix = lambda i: i.split("/", 1)[1]  # noqa: E731  (run ids are source-prefixed)
    gone = {unprefix(r["id"]): unprefix(r["duplicate_of"]) for r in removed}
    # the vendored cJSON.c (29 changed lines) is caught against upstream; the generated .cjs/.mjs bundles too
    assert {frozenset((k, v)) for k, v in gone.items()} >= {
        frozenset(("DaveGamble__cJSON/cJSON.c", "RT-Thread-packages__cJSON/cJSON.c"))}
    assert dedup["docs_out"] == cf["docs_out"] - len(gone)


def test_alphanumeric_counts_match_python_on_ascii_and_count_cjk_letters(shared_data):
    from stages.code_filter import alphanumeric_counts
    texts = [t for p in sorted((shared_data / "sources" / "code").rglob("*.*")) if p.suffix != ".gz"
             and (t := p.read_text()).isascii()]
    expected = [sum(c.isalnum() for c in t) for t in texts]
    # non-ASCII characters count as letters (CJK, accented Latin; the rare non-ASCII symbol too)
    texts += ["", "中文注释 x=1;", "", "¿qué?"]
    expected += [0, 6, 0, 4]
    arr = pa.array(texts)
    assert alphanumeric_counts(arr).tolist() == expected
    assert alphanumeric_counts(arr.slice(3)).tolist() == expected[3:]




def test_a_code_tree_on_s3_is_read_as_the_same_tree_on_disk(tmp_path, s3_server):  # noqa: F811
    """Repository names and paths come from the tree, wherever it is stored: on S3 they came from
    the folder the command ran in (os.path.abspath of the URL found /work/main's own checkout),
    and a checkout's `.git/config` origin was never read."""
    from pipeline.readers import read_source_file
    from tests.test_storage import s3fs_for
    tree = {"gitrepo/.git/config": '[remote "origin"]\n\turl = https://github.com/acme/widget.git\n',
            "gitrepo/src/strip.py": "def strip(s):\n    return s.strip()\n",
            "plain/tool.c": "int main(void) { return 0; }\n"}
    fs = s3fs_for(s3_server)
    fs.mkdir("tokenmill-code")
    for rel, text in tree.items():
        (tmp_path / "repos" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repos" / rel).write_text(text)
        fs.pipe_file(f"tokenmill-code/repos/{rel}", text.encode())

    def ids(root: str) -> list[tuple[str, str, str]]:
        out = []
        for sub in ("gitrepo", "plain"):
            src = SourceConfig(name="c", format="code", paths=[f"{root}/{sub}"])
            for p in expand_paths(f"{root}/{sub}"):
                out += [(d.id, d.metadata["repo"], d.text) for d in read_source_file(src, p, ReadState())
                        if isinstance(d, Doc)]
        return sorted(out)
    local, remote = ids(str(tmp_path / "repos")), ids("s3://tokenmill-code/repos")
    assert [i for i, _, _ in local] == ["c/acme/widget/src/strip.py", "c/plain/tool.c"]
    assert remote == local
