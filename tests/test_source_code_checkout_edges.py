"""A code checkout as real ones come: a symlink loop (`src/loopA -> loopB -> loopA`), a
submodule's `.git` file, Jupyter notebooks. Trees are built here under tmp_path."""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import storage
from pipeline.documents import documents_table
from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.recipe import RecipeError, SourceConfig, load_recipe

REPO = Path(__file__).resolve().parents[1]


def read(paths, **opts):
    """Every file `paths` lists, read as a run reads it: (docs, quarantined, counters)."""
    paths = [str(p) for p in paths]
    src = SourceConfig(name="s", format="code", paths=paths, **opts)
    state, docs, quarantined = ReadState(), [], []
    for f in sorted({f for p in paths for f in expand_paths(p)}):
        for item in read_source_file(src, f, state):
            (docs if isinstance(item, Doc) else quarantined).append(item)
    return docs, quarantined, dict(state.counters)


def _checkout(tmp_path) -> Path:
    """A checkout with two links looping into each other, a dangling link and two plain files."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "src" / "app.py").write_text("def main():\n    print('hello')\n")
    (root / "src" / "util.c").write_text("int util(void) { return 1; }\n")
    os.symlink("loopB", root / "src" / "loopA")
    os.symlink("loopA", root / "src" / "loopB")
    os.symlink("nonexistent.py", root / "src" / "dangling.py")
    return root


# -- 1. symlink loops ----------------------------------------------------------------------------
def test_a_symlink_loop_in_a_checkout_is_quarantined_like_a_dangling_link(tmp_path):
    """Path.resolve() raises RuntimeError (no OSError) on a loop in Python 3.11: the read of the
    tree stopped there. Each looping link is quarantined `unreadable_file`, as a dangling link is,
    saying it is a loop; every other file is read."""
    root = _checkout(tmp_path)
    docs, quarantined, _ = read([root])
    assert sorted(d.metadata["path"] for d in docs) == ["src/app.py", "src/util.c"]
    why = {Path(q.detail.split(":", 1)[0]).name: (q.reason, q.detail) for q in quarantined}
    assert {name: reason for name, (reason, _) in why.items()} == {
        "dangling.py": "unreadable_file", "loopA": "unreadable_file", "loopB": "unreadable_file"}
    assert "symlink loop (loopA -> loopB -> loopA)" in why["loopA"][1]
    assert "symlink loop (loopB -> loopA -> loopB)" in why["loopB"][1]
    assert "a symlink to 'nonexistent.py' that cannot be followed" in why["dangling.py"][1]


def test_storage_paths_never_raise_on_a_symlink_loop_and_resolve_other_paths_as_before(tmp_path):
    root = _checkout(tmp_path)
    loop = root / "src" / "loopA"
    assert str(storage.path(str(loop))) == str(loop)            # its own name: nowhere else to go
    assert str(storage.path(storage.path(str(loop)))) == str(loop)
    assert str(storage.path(f"file://{loop}")) == str(loop)
    assert storage.is_within(str(loop), str(root)) and not storage.is_within(str(loop), str(tmp_path / "out"))
    with pytest.raises(OSError):                                 # ELOOP: what a reader can catch
        storage.open(str(loop)).close()
    # Every other local path resolves as Path.resolve() resolves it: links followed, `..` gone.
    os.symlink("app.py", root / "src" / "link.py")
    os.symlink("src", root / "srclink")
    cwd = os.getcwd()
    for p in [root / "src" / "link.py", root / "srclink" / "util.c", root / "src" / ".." / "src" / "app.py",
              root / "src" / "dangling.py", root / "missing" / "x.py", Path("relative/x.py"), Path("."), Path("")]:
        want = Path(p).resolve()
        assert storage.path(str(p)) == storage.path(storage.path(str(p))) == want, p
        assert str(storage.path(p)) == str(want), p
    assert os.getcwd() == cwd
    assert str(storage.path("s3://bucket/run/../x")) == "s3://bucket/run/../x"   # URLs as they are


def test_a_recipe_over_a_checkout_with_a_symlink_loop_passes_its_checks(tmp_path):
    """The run stopped in `check_output` (storage.is_within on each input file) before reading
    anything: `RuntimeError: Symlink loop from '.../loopA'`."""
    from pipeline.checks import list_inputs
    from pipeline.lease import check_output
    root = _checkout(tmp_path)
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({
        "name": "loop", "output": str(tmp_path / "run"),
        "sources": [{"name": "code", "format": "code", "paths": [str(root)]}],
        "stages": [{"stage": "code_filter", "annotate_only": True}]}))
    recipe = load_recipe(tmp_path / "r.yaml")
    files = list_inputs(recipe)
    assert str(root / "src" / "loopA") in files["code"]
    check_output(storage.path(tmp_path / "run"), recipe, files)


def test_a_run_over_a_checkout_with_a_symlink_loop_exits_0(tmp_path):
    root = _checkout(tmp_path)
    for i in range(4):          # most of the source is read (the quarantine guard judges the share)
        (root / "src" / f"mod{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "loop", "output": str(tmp_path / "run"),
        "sources": [{"name": "code", "format": "code", "paths": [str(root)]}],
        "stages": [{"stage": "code_filter", "annotate_only": True}]}))
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    ingest = stats["stages"][0]
    assert ingest["docs_out"] == 6 and ingest["quarantined"] == {"ingest/unreadable_file": 3}


def test_a_symlink_loop_named_in_paths_is_a_one_line_error_at_load(tmp_path):
    root = _checkout(tmp_path)
    loop = root / "src" / "loopA"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"name": "loop", "output": str(tmp_path / "run"),
                                      "sources": [{"name": "code", "format": "code", "paths": [str(loop)]}]}))
    from pipeline.checks import list_inputs
    with pytest.raises(RecipeError, match=r"sources\[0\] \(code\)\.paths: cannot read .*loopA.*symbolic links"):
        list_inputs(load_recipe(recipe))
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and str(loop) in lines[0], lines


# -- 2. a submodule's .git file ------------------------------------------------------------------
def test_a_submodules_git_file_is_no_document(tmp_path):
    """`sub/libfoo/.git` holding `gitdir: ../../.git/modules/sub/libfoo` became a document (and
    code_filter kept it): a directory's listing leaves it out as it leaves `.git/` out, and the
    reader skips and counts it when it is named (as it does a file under `.git/`)."""
    root = _checkout(tmp_path)
    sub = root / "sub" / "libfoo"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/sub/libfoo\n")
    (sub / "foo.c").write_text("int foo(void) { return 42; }\n")
    (root / "tool.git").write_text("a file whose name only ends in .git\n")
    listed = expand_paths(str(root))
    assert str(sub / ".git") not in listed and str(sub / "foo.c") in listed and str(root / "tool.git") in listed
    docs, _, _ = read([root])
    assert not any(d.metadata["path"].endswith("/.git") or d.metadata["path"] == ".git" for d in docs)
    # the submodule is another repository: its files are skipped (test_source_code_layouts)
    assert not any(d.metadata["path"].endswith("foo.c") for d in docs)
    for named in ([sub / ".git"], [root / ".git" / "HEAD"]):
        docs, quarantined, counters = read(named)
        assert docs == [] and quarantined == [] and counters == {"code_git_internal_skipped": 1}, named


# -- 3. Jupyter notebooks ------------------------------------------------------------------------
PNG = "iVBORw0KGgo" + "A" * 40_000          # a base64 image output: one 40 KB line


def _notebook(cells, metadata=None, nbformat=4) -> str:
    return json.dumps({"cells": cells, "metadata": metadata if metadata is not None else
                       {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                        "language_info": {"name": "python"}},
                       "nbformat": nbformat, "nbformat_minor": 5}, indent=1)


def _md(*lines):
    return {"cell_type": "markdown", "metadata": {}, "source": list(lines)}


def _code(*lines, outputs=()):
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": list(outputs), "source": list(lines)}


def test_a_notebook_is_read_as_its_cells_markdown_as_comments_outputs_dropped(tmp_path):
    """A notebook was its raw JSON, base64 images and all, which code_filter then dropped for
    `max_line_length`: its code was lost. It is read as the script its cells make (as The Stack's
    jupyter-scripts), in the kernel's language."""
    from stages.code_filter import CodeFilter
    root = tmp_path / "nb"
    root.mkdir()
    (root / "analysis.ipynb").write_text(_notebook([
        _md("# Title\n", "\n", "Some *text*"),
        _code("import numpy as np\n", "x = np.arange(10)\n", "x.sum()",
              outputs=[{"output_type": "display_data", "data": {"image/png": PNG, "text/plain": ["<Figure>"]},
                        "metadata": {}},
                       {"output_type": "execute_result", "execution_count": 1, "data": {"text/plain": ["45"]},
                        "metadata": {}}]),
        _code(),                                                      # an empty cell: nothing
        {"cell_type": "raw", "metadata": {}, "source": "raw text"},
        _code("%matplotlib inline\n", "plt.plot(x)\n"),
    ]))
    docs, quarantined, counters = read([root])
    assert quarantined == [] and counters == {"code_notebook": 1}
    (doc,) = docs
    assert doc.text == ("# # Title\n#\n# Some *text*\n\n"
                        "import numpy as np\nx = np.arange(10)\nx.sum()\n\n"
                        "# raw text\n\n"
                        "%matplotlib inline\nplt.plot(x)\n")
    assert "iVBORw0KGgo" not in doc.text and "<Figure>" not in doc.text and "45" not in doc.text
    md = doc.metadata
    assert md["language"] == "Python" and md["path"] == "analysis.ipynb"
    assert md["notebook_cells"] == {"code": 2, "markdown": 2}
    assert md["size"] == (root / "analysis.ipynb").stat().st_size
    # code_filter keeps it: as raw JSON it was removed for max_line_length
    raw, _, _ = read([root], notebooks="raw")
    table = documents_table([{"id": d.id, "source": "code", "text": d.text, "metadata": d.metadata}
                             for d in (doc, *raw)])
    assert CodeFilter().judge(table).reasons == [None, "max_line_length"]


@pytest.mark.parametrize("metadata,language,leader", [
    ({"kernelspec": {"name": "ir", "language": "R"}, "language_info": {"name": "R"}}, "R", "#"),
    ({"kernelspec": {"name": "scala", "display_name": "Scala"}, "language_info": {"name": "scala"}}, "Scala", "//"),
    ({"kernelspec": {"name": "julia-1.9", "display_name": "Julia 1.9.3"}}, "Julia", "#"),
    ({"kernelspec": {"name": "xcpp17", "display_name": "C++17"}}, "C++", "//"),
    ({"kernelspec": {"name": "haskell"}, "language_info": {"name": "haskell"}}, "Haskell", "--"),
    ({"kernelspec": {"name": "octave"}}, "Octave", "%"),
    ({"kernelspec": {"name": "python3"}}, "Python", "#"),
    ({}, "Jupyter Notebook", "#"),                                    # no kernel named: "#"
    ({"kernelspec": {"name": "conda-env-myenv-py"}}, "Jupyter Notebook", "#"),
])
def test_a_notebooks_markdown_is_commented_in_its_kernels_language(tmp_path, metadata, language, leader):
    nb = tmp_path / "n.ipynb"
    nb.write_text(_notebook([_md("Fit a model\n", "\n", "then plot"), _code("fit(x)")], metadata))
    (doc,), _, _ = read([nb])
    assert doc.metadata["language"] == language
    assert doc.text == f"{leader} Fit a model\n{leader}\n{leader} then plot\n\nfit(x)\n"


def test_an_nbformat_3_notebook_is_read_from_its_worksheets(tmp_path):
    nb = tmp_path / "old.ipynb"
    nb.write_text(json.dumps({"metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{
        "cells": [{"cell_type": "heading", "level": 2, "metadata": {}, "source": ["Intro"]},
                  {"cell_type": "code", "language": "python", "input": ["print(1)"], "outputs": [
                      {"output_type": "stream", "stream": "stdout", "text": ["1\n"]}]}]}]}))
    (doc,), _, _ = read([nb])
    assert doc.text == "# ## Intro\n\nprint(1)\n" and doc.metadata["language"] == "Python"


def test_a_notebook_that_is_no_notebook_is_quarantined_not_read_as_text(tmp_path):
    root = tmp_path / "nbs"
    root.mkdir()
    (root / "cut.ipynb").write_text(_notebook([_code("x = 1")])[:60])      # cut short
    (root / "list.ipynb").write_text("[1, 2, 3]\n")
    (root / "nocells.ipynb").write_text('{"metadata": {}, "nbformat": 4}\n')
    (root / "empty_cells.ipynb").write_text(_notebook([_code(), _md("  ")]))
    docs, quarantined, _ = read([root])
    assert docs == []
    why = {Path(q.id).name: (q.reason, q.detail) for q in quarantined}
    assert {k: r for k, (r, _) in why.items()} == {
        "cut.ipynb": "bad_notebook", "list.ipynb": "bad_notebook", "nocells.ipynb": "bad_notebook",
        "empty_cells.ipynb": "empty_document"}
    assert "not valid JSON" in why["cut.ipynb"][1] and "no 'cells' list" in why["nocells.ipynb"][1]


def test_notebooks_raw_reads_the_json_as_stored(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text(_notebook([_code("x = 1")]))
    (doc,), _, counters = read([nb], notebooks="raw")
    assert doc.text == nb.read_text() and doc.metadata["language"] == "Jupyter Notebook"
    assert "code_notebook" not in counters


def test_a_notebook_over_the_cap_for_its_plots_is_read_by_its_cells(tmp_path):
    """Outputs are dropped, so a notebook is held to max_doc_bytes by its script, not its file:
    one with a few base64 plots over the cap was quarantined too_large before its cells were read."""
    import base64
    import json
    repo = tmp_path / "repo"
    repo.mkdir()
    plot = base64.b64encode(bytes(range(256)) * 2000).decode()           # ~680 KB of "PNG"
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
          "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Plots"]},
                    {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["plot(x)"],
                     "outputs": [{"output_type": "display_data", "data": {"image/png": plot}, "metadata": {}}] * 3}]}
    (repo / "plots.ipynb").write_text(json.dumps(nb))
    src = SourceConfig(name="c", format="code", paths=[str(repo)], max_doc_bytes=1_000_000)
    items = list(read_source_file(src, str(repo / "plots.ipynb"), ReadState()))
    assert [type(i).__name__ for i in items] == ["Doc"] and items[0].text == "# # Plots\n\nplot(x)\n"
    big = dict(nb, cells=nb["cells"] + [{"cell_type": "code", "metadata": {}, "source": ["x = 1\n" * 200_000],
                                        "outputs": []}])
    (repo / "big.ipynb").write_text(json.dumps(big))
    (item,) = read_source_file(src, str(repo / "big.ipynb"), ReadState())
    assert item.reason == "too_large" and "cells hold more than" in item.detail


def test_a_file_whose_name_says_nothing_gets_the_language_of_its_shebang(tmp_path):
    """bin/run, a hook, a tool without an extension: no language from its name, so none at all."""
    root = tmp_path / "repo"
    (root / "bin").mkdir(parents=True)
    scripts = {"bin/run": "#!/usr/bin/env python3\nprint(1)\n", "bin/deploy": "#!/bin/bash\nset -e\n",
               "bin/report": "#!/usr/bin/perl -w\nprint 1;\n", "bin/serve": "#!/usr/bin/env -S node --harmony\nx()\n",
               "bin/notes": "just some notes\n", "bin/tool.rb": "#!/usr/bin/env python3\nputs 1\n"}
    for name, text in scripts.items():
        (root / name).write_text(text)
    docs, _, _ = read([root], root=str(root))
    assert {d.metadata["path"]: d.metadata["language"] for d in docs} == {
        "bin/run": "Python", "bin/deploy": "Bash", "bin/report": "Perl", "bin/serve": "JavaScript",
        "bin/notes": None, "bin/tool.rb": "Ruby"}                   # the name, when it says, goes first


def _licence(name: str) -> str:
    data = (REPO / "tests" / "data" / "licences" / name).read_bytes()
    return (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_a_checkouts_files_carry_their_repositorys_licence(tmp_path):
    """A tree's files had no licence: under unknown_license: remove, every file whose header names
    none was removed though its repository has a LICENSE (23 of 41 held-out files). The nearest
    folder with a licence file, up to the repository's, decides; none above the repository."""
    apache, mit = _licence("c-w__gutenberg__LICENSE.txt"), _licence("choosealicense__MIT.txt.gz")
    root = tmp_path / "repos"
    _write(root, {"LICENSE": apache,                                  # the tree's, above its repositories
                  "a__one/LICENSE.txt": apache, "a__one/src/deep/x.py": "x = 1\n",
                  "a__one/vendored/LICENSE": mit, "a__one/vendored/lib/y.c": "int y;\n",
                  "b__two/main.go": "package main\n",                 # no licence file: none
                  "c__three/COPYING": "All rights reserved.\n", "c__three/z.rb": "z = 1\n",
                  "d__four/LICENSE": mit, "d__four/COPYING": _licence("choosealicense__GPL-3.0.txt.gz"),
                  "d__four/w.js": "let w;\n"})
    docs, _, _ = read([root], root=str(root), repo_depth=1)
    got = {f"{d.metadata['repo']}/{d.metadata['path']}": d.metadata.get("license") for d in docs}
    assert got == {"repos/LICENSE": "Apache-2.0", "a__one/LICENSE.txt": "Apache-2.0",
                   "a__one/src/deep/x.py": "Apache-2.0", "a__one/vendored/LICENSE": "MIT",
                   "a__one/vendored/lib/y.c": "MIT", "b__two/main.go": None,
                   "c__three/COPYING": None, "c__three/z.rb": None,
                   "d__four/COPYING": None, "d__four/LICENSE": None, "d__four/w.js": None}   # they disagree
    # a file read alone (another task, another ReadState) gets the same licence
    alone, _, _ = read([root / "a__one" / "src" / "deep" / "x.py"], root=str(root), repo_depth=1)
    assert alone[0].metadata["license"] == "Apache-2.0"
    from stages.code_filter import CodeFilter
    table = documents_table([{"id": d.id, "source": "s", "text": d.text_str, "metadata": d.metadata} for d in docs])
    judged = dict(zip(got, CodeFilter(unknown_license="remove").judge(table).reasons))
    assert judged["a__one/src/deep/x.py"] is None and judged["a__one/vendored/lib/y.c"] is None
    assert judged["b__two/main.go"] == "license_unknown" and judged["d__four/w.js"] == "license_unknown"


def test_a_licence_is_looked_for_up_to_the_checkout_or_the_listed_directory(tmp_path):
    """Without `root`: up to the checkout (a .git), not the folder holding it; with no checkout,
    up to the listed directory (the repository, its paths relative to it)."""
    mit = _licence("choosealicense__MIT.txt.gz")
    _write(tmp_path / "tree", {"LICENSE": mit, "app/src/run.py": "run = 1\n", "repo/src/lib.py": "lib = 1\n"})
    (tmp_path / "tree" / "repo" / ".git").mkdir()
    docs, _, _ = read([tmp_path / "tree"])
    assert {d.metadata["path"]: d.metadata.get("license") for d in docs} == {
        "LICENSE": "MIT", "app/src/run.py": "MIT", "src/lib.py": None}


def test_licence_files_of_other_names_and_layouts(tmp_path):
    """Rust's LICENSE-MIT + LICENSE-APACHE, Rails' MIT-LICENSE, GNU's COPYING + COPYING.LESSER /
    COPYING.LIB gave no licence (names not known, or files that disagree); so did a license.md
    beside a folder named LICENSE (counted as a licence file naming none)."""
    mit, apache = _licence("choosealicense__MIT.txt.gz"), _licence("choosealicense__Apache-2.0.txt.gz")
    gpl3, lgpl3 = _licence("choosealicense__GPL-3.0.txt.gz"), _licence("choosealicense__LGPL-3.0.txt.gz")
    gpl2, lgpl21 = _licence("choosealicense__GPL-2.0.txt.gz"), _licence("choosealicense__LGPL-2.1.txt.gz")
    root = tmp_path / "repos"
    _write(root, {"a__rust/LICENSE-MIT": mit, "a__rust/LICENSE-APACHE": apache, "a__rust/src/lib.rs": "fn f() {}\n",
                  "b__rails/MIT-LICENSE": mit, "b__rails/lib/a.rb": "a = 1\n",
                  "c__lgpl/COPYING": gpl3, "c__lgpl/COPYING.LESSER": lgpl3, "c__lgpl/a.c": "int a;\n",
                  "d__lib/COPYING": gpl2, "d__lib/COPYING.LIB": lgpl21, "d__lib/b.c": "int b;\n",
                  "e__dir/LICENSE/NOTES.txt": "notes\n", "e__dir/license.md": mit, "e__dir/e.py": "e = 1\n",
                  # a name naming another licence than its text's: no dual offer
                  "f__odd/LICENSE-APACHE": gpl3, "f__odd/LICENSE-MIT": mit, "f__odd/f.py": "f = 1\n",
                  "g__apache2/LICENSE.APACHE2": apache, "g__apache2/g.py": "g = 1\n"})
    docs, _, _ = read([root], root=str(root), repo_depth=1)
    got = {f"{d.metadata['repo']}/{d.metadata['path']}": d.metadata.get("license") for d in docs
           if d.metadata["path"].endswith((".rs", ".rb", ".c", ".py"))}
    assert got == {"a__rust/src/lib.rs": "Apache-2.0 OR MIT", "b__rails/lib/a.rb": "MIT", "c__lgpl/a.c": "LGPL-3.0",
                   "d__lib/b.c": "LGPL-2.1", "e__dir/e.py": "MIT", "f__odd/f.py": None, "g__apache2/g.py": "Apache-2.0"}
